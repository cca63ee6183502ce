package authxsd

import (
	"strings"
	"sync"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

// The patterns of TNipVatUE and TPeppolId in schemat_auth_v2-1.xsd end in
// "$" (and TPeppolId's starts with "^"): .NET regular expressions, with
// which KSeF validates, read them as anchors, while an XSD regular
// expression reads them as literal characters, so that a strict validator
// (libxml2, and internal/xsd as generated) refuses every NipVatUe and
// PeppolId context, including the official samples. Since KSeF accepts
// these contexts, the patterns are read here as KSeF reads them: a leading
// "^" and a trailing "$" are anchors (patterns are anchored anyway).
//
// anchoredSchema is the generated schema with those two patterns patched;
// every validation of this package goes through it. The generated tables
// are built on first use, so the patch is applied then, once, by walking
// the element declarations to the two named simple types.
var anchoredSchema = sync.OnceValue(func() *rt.Schema {
	s := schema()
	seen := map[*rt.SimpleType]bool{}
	var walkElem func(e *rt.Element)
	var walkParticle func(p *rt.Particle)
	walkElem = func(e *rt.Element) {
		if st := e.Simple; st != nil && !seen[st] {
			seen[st] = true
			if st.Name == "tns:TNipVatUE" || st.Name == "tns:TPeppolId" {
				for _, alts := range st.Patterns {
					for i, p := range alts {
						alts[i] = dotNetAnchors(p)
					}
				}
			}
		}
		if e.Complex != nil {
			walkParticle(e.Complex.Content)
		}
	}
	walkParticle = func(p *rt.Particle) {
		if p == nil {
			return
		}
		if p.Element != nil {
			walkElem(p.Element)
		}
		for _, c := range p.Children {
			walkParticle(c)
		}
	}
	for _, e := range s.Roots {
		walkElem(e)
	}
	return s
})

// dotNetAnchors returns p with a leading "^" and a trailing "$" of its
// source read as anchors instead of literal characters.
func dotNetAnchors(p *rt.Pattern) *rt.Pattern {
	re := p.RE
	if strings.HasPrefix(p.Source, "^") && strings.HasPrefix(re, `^(?:\^`) {
		re = "^(?:" + strings.TrimPrefix(re, `^(?:\^`)
	}
	if strings.HasSuffix(p.Source, "$") && !strings.HasSuffix(p.Source, `\$`) && strings.HasSuffix(re, `\$)$`) {
		re = strings.TrimSuffix(re, `\$)$`) + ")$"
	}
	if re == p.RE {
		return p
	}
	return rt.NewPattern(p.Source, re)
}
