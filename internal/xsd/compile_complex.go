package xsd

// Complex types, model groups, elements and attributes.

import (
	"fmt"
	"strconv"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

func (c *compiler) complexByName(q qname, at *node) (*rt.ComplexType, error) {
	if t, ok := c.complex[q]; ok {
		return t, nil
	}
	n, ok := c.complexDefs[q]
	if !ok {
		return nil, fmt.Errorf("xsd: %s: complex type %s is not defined", at.where(), c.typeName(q))
	}
	if c.inFlight[q] {
		return nil, fmt.Errorf("xsd: %s: recursive complex type %s is not supported", n.where(), c.typeName(q))
	}
	c.inFlight[q] = true
	defer delete(c.inFlight, q)
	t, err := c.complexType(n, c.typeName(q), c.defDoc[n])
	if err != nil {
		return nil, err
	}
	c.complex[q] = t
	return t, nil
}

func (c *compiler) complexType(n *node, name string, d *schemaDoc) (*rt.ComplexType, error) {
	if err := checkAttrs(n, "name", "id"); err != nil {
		return nil, err
	}
	kids, err := children(n)
	if err != nil {
		return nil, err
	}
	t := &rt.ComplexType{Name: name}
	for _, k := range kids {
		switch k.local {
		case "sequence", "choice":
			if t.Content != nil {
				return nil, fmt.Errorf("xsd: %s: second content model", k.where())
			}
			if t.Content, err = c.group(k, d); err != nil {
				return nil, err
			}
		case "attribute":
			a, err := c.attribute(k, d)
			if err != nil {
				return nil, err
			}
			t.Attributes = append(t.Attributes, a)
		case "simpleContent":
			if err := c.simpleContent(k, t, d); err != nil {
				return nil, err
			}
		case "complexContent":
			if err := c.complexContent(k, t, d); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("xsd: %s: unsupported construct xsd:%s in complexType", k.where(), k.local)
		}
	}
	return t, nil
}

// extension reads the xsd:extension that is the only child of k (a
// simpleContent or complexContent): the extension element, its children
// and its resolved base type name.
func (c *compiler) extension(k *node) (ext *node, body []*node, base qname, err error) {
	if err := checkAttrs(k); err != nil {
		return nil, nil, qname{}, err
	}
	kids, err := children(k)
	if err != nil {
		return nil, nil, qname{}, err
	}
	if len(kids) != 1 || kids[0].local != "extension" {
		what := "nothing"
		if len(kids) > 0 {
			what = "xsd:" + kids[0].local
		}
		return nil, nil, qname{}, fmt.Errorf("xsd: %s: unsupported %s in xsd:%s (only extension is supported)", k.where(), what, k.local)
	}
	ext = kids[0]
	if err := checkAttrs(ext, "base"); err != nil {
		return nil, nil, qname{}, err
	}
	if body, err = children(ext); err != nil {
		return nil, nil, qname{}, err
	}
	b, _ := ext.attr("base")
	if base, err = resolveQName(ext, b); err != nil {
		return nil, nil, qname{}, err
	}
	return ext, body, base, nil
}

func (c *compiler) simpleContent(k *node, t *rt.ComplexType, d *schemaDoc) error {
	ext, body, q, err := c.extension(k)
	if err != nil {
		return err
	}
	if _, isComplex := c.complexDefs[q]; isComplex {
		bt, err := c.complexByName(q, ext)
		if err != nil {
			return err
		}
		if bt.Simple == nil {
			return fmt.Errorf("xsd: %s: simpleContent extension of %s, which has no simple content", ext.where(), bt.Name)
		}
		t.Simple = bt.Simple
		t.Attributes = append(t.Attributes, bt.Attributes...)
	} else if t.Simple, err = c.simpleByName(q, ext); err != nil {
		return err
	}
	for _, a := range body {
		if a.local != "attribute" {
			return fmt.Errorf("xsd: %s: unsupported xsd:%s in simpleContent extension", a.where(), a.local)
		}
		au, err := c.attribute(a, d)
		if err != nil {
			return err
		}
		t.Attributes = append(t.Attributes, au)
	}
	return nil
}

func (c *compiler) complexContent(k *node, t *rt.ComplexType, d *schemaDoc) error {
	ext, body, q, err := c.extension(k)
	if err != nil {
		return err
	}
	bt, err := c.complexByName(q, ext)
	if err != nil {
		return err
	}
	if bt.Simple != nil {
		return fmt.Errorf("xsd: %s: complexContent extension of simple-content type %s", ext.where(), bt.Name)
	}
	t.Content = copyParticle(bt.Content)
	t.Attributes = append(t.Attributes, bt.Attributes...)
	for _, x := range body {
		switch x.local {
		case "sequence", "choice":
			p, err := c.group(x, d)
			if err != nil {
				return err
			}
			if t.Content == nil {
				t.Content = p
			} else {
				t.Content = &rt.Particle{Kind: rt.ParticleSequence, Min: 1, Max: 1, Children: []*rt.Particle{t.Content, p}}
			}
		case "attribute":
			a, err := c.attribute(x, d)
			if err != nil {
				return err
			}
			t.Attributes = append(t.Attributes, a)
		default:
			return fmt.Errorf("xsd: %s: unsupported xsd:%s in complexContent extension", x.where(), x.local)
		}
	}
	return nil
}

// copyParticle copies a particle tree (element declarations are shared):
// every complex type owns its content model.
func copyParticle(p *rt.Particle) *rt.Particle {
	if p == nil {
		return nil
	}
	q := &rt.Particle{Kind: p.Kind, Min: p.Min, Max: p.Max, Element: p.Element}
	for _, c := range p.Children {
		q.Children = append(q.Children, copyParticle(c))
	}
	return q
}

func occurs(n *node) (int, int, error) {
	min, max := 1, 1
	if v, ok := n.attr("minOccurs"); ok {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, 0, fmt.Errorf("xsd: %s: bad minOccurs %q", n.where(), v)
		}
		min = i
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if v == "unbounded" {
			max = rt.Unbounded
		} else {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return 0, 0, fmt.Errorf("xsd: %s: bad maxOccurs %q", n.where(), v)
			}
			max = i
		}
	}
	if max != rt.Unbounded && max < min {
		return 0, 0, fmt.Errorf("xsd: %s: maxOccurs < minOccurs", n.where())
	}
	return min, max, nil
}

func (c *compiler) group(n *node, d *schemaDoc) (*rt.Particle, error) {
	if err := checkAttrs(n, "minOccurs", "maxOccurs", "id"); err != nil {
		return nil, err
	}
	min, max, err := occurs(n)
	if err != nil {
		return nil, err
	}
	p := &rt.Particle{Kind: rt.ParticleSequence, Min: min, Max: max}
	if n.local == "choice" {
		p.Kind = rt.ParticleChoice
	}
	kids, err := children(n)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		var cp *rt.Particle
		switch k.local {
		case "element":
			emin, emax, err := occurs(k)
			if err != nil {
				return nil, err
			}
			e, err := c.element(k, d, false)
			if err != nil {
				return nil, err
			}
			cp = &rt.Particle{Kind: rt.ParticleElement, Min: emin, Max: emax, Element: e}
		case "sequence", "choice":
			if cp, err = c.group(k, d); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("xsd: %s: unsupported particle xsd:%s", k.where(), k.local)
		}
		p.Children = append(p.Children, cp)
	}
	return p, nil
}

func (c *compiler) element(n *node, d *schemaDoc, global bool) (*rt.Element, error) {
	allowed := []string{"name", "type", "fixed", "default", "id"}
	if !global {
		allowed = append(allowed, "minOccurs", "maxOccurs")
	}
	if err := checkAttrs(n, allowed...); err != nil {
		return nil, err
	}
	name, ok := n.attr("name")
	if !ok {
		return nil, fmt.Errorf("xsd: %s: element without name (ref is not supported)", n.where())
	}
	e := &rt.Element{Name: name}
	if global || d.qualifiedEl {
		e.Namespace = d.tns
	}
	e.Fixed, e.HasFixed = n.attr("fixed")
	e.Default, e.HasDefault = n.attr("default")
	kids, err := children(n)
	if err != nil {
		return nil, err
	}
	tn, hasType := n.attr("type")
	switch {
	case hasType && len(kids) > 0:
		return nil, fmt.Errorf("xsd: %s: element with both type and inline type", n.where())
	case hasType:
		q, err := resolveQName(n, tn)
		if err != nil {
			return nil, err
		}
		if _, isComplex := c.complexDefs[q]; isComplex {
			e.Complex, err = c.complexByName(q, n)
		} else {
			e.Simple, err = c.simpleByName(q, n)
		}
		if err != nil {
			return nil, err
		}
	case len(kids) == 1 && kids[0].local == "complexType":
		if e.Complex, err = c.complexType(kids[0], "", d); err != nil {
			return nil, err
		}
	case len(kids) == 1 && kids[0].local == "simpleType":
		if e.Simple, err = c.simpleType(kids[0], ""); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("xsd: %s: element %s without a type (anyType is not supported) or with unsupported children", n.where(), name)
	}
	if e.HasFixed || e.HasDefault {
		st := e.Simple
		if st == nil && e.Complex != nil {
			st = e.Complex.Simple
		}
		if st == nil {
			return nil, fmt.Errorf("xsd: %s: value constraint on element %s with element content", n.where(), name)
		}
		v := e.Fixed
		if e.HasDefault {
			v = e.Default
		}
		if msgs := st.Check(v); msgs != nil {
			return nil, fmt.Errorf("xsd: %s: value constraint of %s is invalid: %s", n.where(), name, msgs[0])
		}
	}
	return e, nil
}

func (c *compiler) attribute(n *node, d *schemaDoc) (*rt.Attribute, error) {
	if err := checkAttrs(n, "name", "type", "use", "fixed", "default", "id"); err != nil {
		return nil, err
	}
	name, ok := n.attr("name")
	if !ok {
		return nil, fmt.Errorf("xsd: %s: attribute without name (ref is not supported)", n.where())
	}
	a := &rt.Attribute{Name: name}
	if d.qualifiedAt {
		a.Namespace = d.tns
	}
	switch u, _ := n.attr("use"); u {
	case "", "optional":
	case "required":
		a.Required = true
	default:
		return nil, fmt.Errorf("xsd: %s: unsupported use=%q", n.where(), u)
	}
	a.Fixed, a.HasFixed = n.attr("fixed")
	if _, hasDefault := n.attr("default"); hasDefault && a.Required {
		return nil, fmt.Errorf("xsd: %s: required attribute with default", n.where())
	}
	kids, err := children(n)
	if err != nil {
		return nil, err
	}
	tn, hasType := n.attr("type")
	switch {
	case hasType && len(kids) == 0:
		q, err := resolveQName(n, tn)
		if err != nil {
			return nil, err
		}
		if a.Type, err = c.simpleByName(q, n); err != nil {
			return nil, err
		}
	case !hasType && len(kids) == 1 && kids[0].local == "simpleType":
		if a.Type, err = c.simpleType(kids[0], ""); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("xsd: %s: attribute %s needs exactly one simple type", n.where(), name)
	}
	if a.HasFixed {
		if msgs := a.Type.Check(a.Fixed); msgs != nil {
			return nil, fmt.Errorf("xsd: %s: fixed value of %s is invalid: %s", n.where(), name, msgs[0])
		}
	}
	return a, nil
}
