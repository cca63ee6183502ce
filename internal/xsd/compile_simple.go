package xsd

// Simple types: built-in types, restrictions and facets.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

func (c *compiler) simpleByName(q qname, at *node) (*rt.SimpleType, error) {
	if q.ns == NSXSD {
		return c.builtin(q.local, at)
	}
	if t, ok := c.simple[q]; ok {
		return t, nil
	}
	n, ok := c.simpleDefs[q]
	if !ok {
		return nil, fmt.Errorf("xsd: %s: simple type %s is not defined", at.where(), c.typeName(q))
	}
	if c.inFlight[q] {
		return nil, fmt.Errorf("xsd: %s: circular simple type %s", n.where(), c.typeName(q))
	}
	c.inFlight[q] = true
	defer delete(c.inFlight, q)
	t, err := c.simpleType(n, c.typeName(q))
	if err != nil {
		return nil, err
	}
	c.simple[q] = t
	return t, nil
}

func newBuiltin(name string, k rt.Kind, ws rt.WhiteSpace) *rt.SimpleType {
	return &rt.SimpleType{Name: name, Kind: k, WhiteSpace: ws, Length: -1, MinLength: -1, MaxLength: -1, TotalDigits: -1, FractionDigits: -1}
}

func (c *compiler) builtin(local string, at *node) (*rt.SimpleType, error) {
	if t, ok := c.builtins[local]; ok {
		return t, nil
	}
	name := "xsd:" + local
	var t *rt.SimpleType
	intRange := func(min, max string) *rt.SimpleType {
		t := newBuiltin(name, rt.KindInteger, rt.Collapse)
		t.FixedSize = true
		t.Bounds = []rt.Bound{{Op: rt.MinInclusive, Value: min}, {Op: rt.MaxInclusive, Value: max}}
		return t
	}
	switch local {
	case "string":
		t = newBuiltin(name, rt.KindString, rt.Preserve)
	case "normalizedString":
		t = newBuiltin(name, rt.KindString, rt.Replace)
	case "token":
		t = newBuiltin(name, rt.KindString, rt.Collapse)
	case "decimal":
		t = newBuiltin(name, rt.KindDecimal, rt.Collapse)
	case "integer":
		t = newBuiltin(name, rt.KindInteger, rt.Collapse)
	case "nonNegativeInteger":
		t = newBuiltin(name, rt.KindInteger, rt.Collapse)
		t.Bounds = []rt.Bound{{Op: rt.MinInclusive, Value: "0"}}
	case "positiveInteger":
		t = newBuiltin(name, rt.KindInteger, rt.Collapse)
		t.Bounds = []rt.Bound{{Op: rt.MinInclusive, Value: "1"}}
	case "long":
		t = intRange("-9223372036854775808", "9223372036854775807")
	case "int":
		t = intRange("-2147483648", "2147483647")
	case "short":
		t = intRange("-32768", "32767")
	case "byte":
		t = intRange("-128", "127")
	case "date":
		t = newBuiltin(name, rt.KindDate, rt.Collapse)
	case "dateTime":
		t = newBuiltin(name, rt.KindDateTime, rt.Collapse)
	case "gYear":
		t = newBuiltin(name, rt.KindGYear, rt.Collapse)
	case "boolean":
		t = newBuiltin(name, rt.KindBoolean, rt.Collapse)
	default:
		return nil, fmt.Errorf("xsd: %s: built-in type xsd:%s is not supported", at.where(), local)
	}
	c.builtins[local] = t
	return t, nil
}

func (c *compiler) simpleType(n *node, name string) (*rt.SimpleType, error) {
	if err := checkAttrs(n, "name", "id"); err != nil {
		return nil, err
	}
	kids, err := children(n)
	if err != nil {
		return nil, err
	}
	if len(kids) != 1 {
		return nil, fmt.Errorf("xsd: %s: simpleType needs exactly one derivation", n.where())
	}
	d := kids[0]
	switch d.local {
	case "restriction":
		return c.restriction(d, name)
	case "union":
		if err := checkAttrs(d); err != nil {
			return nil, err
		}
		t := newBuiltin(name, rt.KindString, rt.Preserve)
		members, err := children(d)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m.local != "simpleType" {
				return nil, fmt.Errorf("xsd: %s: unsupported xsd:%s in union", m.where(), m.local)
			}
			mt, err := c.simpleType(m, "")
			if err != nil {
				return nil, err
			}
			t.Union = append(t.Union, mt)
		}
		if len(t.Union) == 0 {
			return nil, fmt.Errorf("xsd: %s: union without inline member types (memberTypes is not supported)", d.where())
		}
		return t, nil
	}
	return nil, fmt.Errorf("xsd: %s: unsupported simple type derivation xsd:%s", d.where(), d.local)
}

func (c *compiler) restriction(d *node, name string) (*rt.SimpleType, error) {
	if err := checkAttrs(d, "base"); err != nil {
		return nil, err
	}
	facets, err := children(d)
	if err != nil {
		return nil, err
	}
	var base *rt.SimpleType
	if b, ok := d.attr("base"); ok {
		q, err := resolveQName(d, b)
		if err != nil {
			return nil, err
		}
		if base, err = c.simpleByName(q, d); err != nil {
			return nil, err
		}
	} else if len(facets) > 0 && facets[0].local == "simpleType" {
		if base, err = c.simpleType(facets[0], ""); err != nil {
			return nil, err
		}
		facets = facets[1:]
	} else {
		return nil, fmt.Errorf("xsd: %s: restriction without base", d.where())
	}
	return c.applyFacets(base, facets, name)
}

func (c *compiler) applyFacets(base *rt.SimpleType, facets []*node, name string) (*rt.SimpleType, error) {
	if len(base.Union) > 0 && len(facets) > 0 {
		return nil, fmt.Errorf("xsd: %s: restricting a union type is not supported", facets[0].where())
	}
	t := *base
	t.Name = name
	t.Patterns = append([][]*rt.Pattern(nil), base.Patterns...)
	t.Bounds = append([]rt.Bound(nil), base.Bounds...)
	var patterns []*rt.Pattern
	var enum []string
	for _, f := range facets {
		if err := checkAttrs(f, "value", "fixed", "id"); err != nil {
			return nil, err
		}
		v, ok := f.attr("value")
		if !ok {
			return nil, fmt.Errorf("xsd: %s: facet %s without value", f.where(), f.local)
		}
		num := func() (int, error) {
			i, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || i < 0 {
				return 0, fmt.Errorf("xsd: %s: facet %s: bad value %q", f.where(), f.local, v)
			}
			return i, nil
		}
		var err error
		switch f.local {
		case "pattern":
			re, terr := TranslateRegexp(v)
			if terr != nil {
				return nil, fmt.Errorf("xsd: %s: %w", f.where(), terr)
			}
			patterns = append(patterns, rt.NewPattern(v, re))
		case "enumeration":
			enum = append(enum, v)
		case "length":
			t.Length, err = num()
		case "minLength":
			t.MinLength, err = num()
		case "maxLength":
			t.MaxLength, err = num()
		case "totalDigits":
			t.TotalDigits, err = num()
		case "fractionDigits":
			t.FractionDigits, err = num()
		case "whiteSpace":
			switch v {
			case "preserve":
				t.WhiteSpace = rt.Preserve
			case "replace":
				t.WhiteSpace = rt.Replace
			case "collapse":
				t.WhiteSpace = rt.Collapse
			default:
				return nil, fmt.Errorf("xsd: %s: bad whiteSpace %q", f.where(), v)
			}
		case "minInclusive", "maxInclusive", "minExclusive", "maxExclusive":
			op := map[string]rt.BoundOp{"minInclusive": rt.MinInclusive, "maxInclusive": rt.MaxInclusive, "minExclusive": rt.MinExclusive, "maxExclusive": rt.MaxExclusive}[f.local]
			if t.Kind == rt.KindString || t.Kind == rt.KindBoolean {
				return nil, fmt.Errorf("xsd: %s: %s on a %s type", f.where(), f.local, t.Kind)
			}
			// The bound must itself be a valid value of the base type.
			probe := *base
			probe.Patterns, probe.Enumeration = nil, nil
			if msgs := probe.Check(v); msgs != nil {
				return nil, fmt.Errorf("xsd: %s: %s value %q is invalid: %s", f.where(), f.local, v, msgs[0])
			}
			t.Bounds = append(t.Bounds, rt.Bound{Op: op, Value: v})
		default:
			return nil, fmt.Errorf("xsd: %s: unsupported facet xsd:%s", f.where(), f.local)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(patterns) > 0 {
		t.Patterns = append(t.Patterns, patterns)
	}
	if len(enum) > 0 {
		t.Enumeration = enum
	}
	return &t, nil
}
