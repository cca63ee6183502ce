package ksefsim

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/ksef2/ksef"
)

// ipPolicy is the AuthorizationPolicy/AllowedIps of an authentication: the
// client addresses from which its access tokens may be used.
type ipPolicy struct {
	addrs    []netip.Addr
	ranges   [][2]netip.Addr
	prefixes []netip.Prefix
}

// parseIPPolicy validates and parses allowed addresses. It returns nil when
// nothing is restricted.
func parseIPPolicy(a *ksef.AllowedIps) (*ipPolicy, error) {
	if a == nil || len(a.Ip4Addresses)+len(a.Ip4Ranges)+len(a.Ip4Masks) == 0 {
		return nil, nil
	}
	// The schema rules (patterns, at most 10 entries a list) are the
	// client's; what passes them parses, but a parse error is still an
	// error rather than a panic on untrusted input.
	if err := a.Validate(); err != nil {
		return nil, err
	}
	p := &ipPolicy{}
	for _, s := range a.Ip4Addresses {
		x, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		p.addrs = append(p.addrs, x)
	}
	for _, s := range a.Ip4Ranges {
		lo, hi, _ := strings.Cut(s, "-")
		l, err1 := netip.ParseAddr(lo)
		h, err2 := netip.ParseAddr(hi)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		p.ranges = append(p.ranges, [2]netip.Addr{l, h})
	}
	for _, s := range a.Ip4Masks {
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		p.prefixes = append(p.prefixes, pr.Masked())
	}
	return p, nil
}

// allows reports whether a client at ip may use the tokens.
func (p *ipPolicy) allows(ip string) bool {
	if p == nil {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, x := range p.addrs {
		if x == a {
			return true
		}
	}
	for _, r := range p.ranges {
		if a.Compare(r[0]) >= 0 && a.Compare(r[1]) <= 0 {
			return true
		}
	}
	for _, pr := range p.prefixes {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}
