package ksefsim

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/ksef2/ksef"
)

const ip4Octet = `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])`

var (
	ip4AddressRe = regexp.MustCompile(`^(` + ip4Octet + `\.){3}` + ip4Octet + `$`)
	ip4RangeRe   = regexp.MustCompile(`^(` + ip4Octet + `\.){3}` + ip4Octet + `-(` + ip4Octet + `\.){3}` + ip4Octet + `$`)
	ip4MaskRe    = regexp.MustCompile(`^(` + ip4Octet + `\.){3}` + ip4Octet + `/(0|[1-9]|[12][0-9]|3[0-2])$`)
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
	for name, l := range map[string][]string{"ip4Addresses": a.Ip4Addresses, "ip4Ranges": a.Ip4Ranges, "ip4Masks": a.Ip4Masks} {
		if len(l) > 10 {
			return nil, fmt.Errorf("%s: at most 10 entries are allowed", name)
		}
	}
	p := &ipPolicy{}
	for _, s := range a.Ip4Addresses {
		if !ip4AddressRe.MatchString(s) {
			return nil, fmt.Errorf("invalid IPv4 address %q", s)
		}
		p.addrs = append(p.addrs, netip.MustParseAddr(s))
	}
	for _, s := range a.Ip4Ranges {
		if !ip4RangeRe.MatchString(s) {
			return nil, fmt.Errorf("invalid IPv4 range %q", s)
		}
		lo, hi, _ := strings.Cut(s, "-")
		p.ranges = append(p.ranges, [2]netip.Addr{netip.MustParseAddr(lo), netip.MustParseAddr(hi)})
	}
	for _, s := range a.Ip4Masks {
		if !ip4MaskRe.MatchString(s) {
			return nil, fmt.Errorf("invalid IPv4 mask %q", s)
		}
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid IPv4 mask %q", s)
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
