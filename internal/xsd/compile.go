package xsd

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ksef2/ksef/internal/xsd/rt"
)

// Compiled is a loaded and compiled schema set.
type Compiled struct {
	// Schema holds the runtime tables (root element declarations).
	Schema *rt.Schema
	// TargetNamespace is the namespace of the main schema document.
	TargetNamespace string
	// SimpleTypes and ComplexTypes are the named types reachable from the
	// root elements, sorted by name.
	SimpleTypes  []*rt.SimpleType
	ComplexTypes []*rt.ComplexType
	// Files lists the schema documents read, relative to the spec directory.
	Files []string
}

type qname struct{ ns, local string }

type schemaDoc struct {
	root *node
	// imports are the namespaces this document may refer to.
	imports     map[string]bool
	tns         string
	qualifiedEl bool
	qualifiedAt bool
}

type compiler struct {
	specDir  string
	catalog  []rewrite
	docs     map[string]*schemaDoc
	order    []string
	prefixes map[string]string // namespace → prefix for type names

	simpleDefs  map[qname]*node
	complexDefs map[qname]*node
	elementDefs map[qname]*node
	defDoc      map[*node]*schemaDoc

	simple   map[qname]*rt.SimpleType
	complex  map[qname]*rt.ComplexType
	inFlight map[qname]bool
	builtins map[string]*rt.SimpleType
}

// Load reads the schema document at schemaRel (relative to specDir), the
// documents it imports and includes (absolute locations are mapped through
// the OASIS catalog at catalogRel, also relative to specDir) and compiles
// them. Unsupported constructs are errors.
func Load(specDir, schemaRel, catalogRel string) (*Compiled, error) {
	c := &compiler{
		specDir:     specDir,
		docs:        map[string]*schemaDoc{},
		prefixes:    map[string]string{},
		simpleDefs:  map[qname]*node{},
		complexDefs: map[qname]*node{},
		elementDefs: map[qname]*node{},
		defDoc:      map[*node]*schemaDoc{},
		simple:      map[qname]*rt.SimpleType{},
		complex:     map[qname]*rt.ComplexType{},
		inFlight:    map[qname]bool{},
		builtins:    map[string]*rt.SimpleType{},
	}
	if catalogRel != "" {
		cat, err := readCatalog(filepath.Join(specDir, filepath.FromSlash(catalogRel)))
		if err != nil {
			return nil, err
		}
		c.catalog = cat
	}
	main := filepath.Join(specDir, filepath.FromSlash(schemaRel))
	if err := c.loadDoc(main, ""); err != nil {
		return nil, err
	}
	mainDoc := c.docs[main]
	for p, ns := range mainDoc.root.scope {
		if p != "" && ns != NSXSD {
			c.prefixes[ns] = p
		}
	}
	out := &Compiled{TargetNamespace: mainDoc.tns, Schema: &rt.Schema{}}
	for _, f := range c.order {
		rel, err := filepath.Rel(specDir, f)
		if err != nil {
			rel = f
		}
		out.Files = append(out.Files, filepath.ToSlash(rel))
	}
	var roots []qname
	for q := range c.elementDefs {
		roots = append(roots, q)
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].ns+" "+roots[i].local < roots[j].ns+" "+roots[j].local })
	for _, q := range roots {
		n := c.elementDefs[q]
		e, err := c.element(n, c.defDoc[n], true)
		if err != nil {
			return nil, err
		}
		out.Schema.Roots = append(out.Schema.Roots, e)
	}
	// Compile every global type, used or not, so that an unsupported
	// construct anywhere in the schema set is an error.
	var qs []qname
	for q := range c.simpleDefs {
		qs = append(qs, q)
	}
	for q := range c.complexDefs {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].ns+" "+qs[i].local < qs[j].ns+" "+qs[j].local })
	for _, q := range qs {
		var err error
		if n, ok := c.simpleDefs[q]; ok {
			_, err = c.simpleByName(q, n)
		} else {
			_, err = c.complexByName(q, c.complexDefs[q])
		}
		if err != nil {
			return nil, err
		}
	}
	for _, t := range c.simple {
		out.SimpleTypes = append(out.SimpleTypes, t)
	}
	for _, t := range c.complex {
		out.ComplexTypes = append(out.ComplexTypes, t)
	}
	sort.Slice(out.SimpleTypes, func(i, j int) bool { return out.SimpleTypes[i].Name < out.SimpleTypes[j].Name })
	sort.Slice(out.ComplexTypes, func(i, j int) bool { return out.ComplexTypes[i].Name < out.ComplexTypes[j].Name })
	return out, nil
}

func (c *compiler) resolveLocation(loc, from string) (string, error) {
	if strings.Contains(loc, "://") {
		for _, r := range c.catalog {
			if strings.HasPrefix(loc, r.prefix) {
				return filepath.Join(r.base, filepath.FromSlash(strings.TrimPrefix(loc, r.prefix))), nil
			}
		}
		return "", fmt.Errorf("xsd: %s: no catalog entry maps %s to a local file (no network access)", from, loc)
	}
	return filepath.Join(filepath.Dir(from), filepath.FromSlash(loc)), nil
}

func (c *compiler) loadDoc(file, expectNS string) error {
	if _, ok := c.docs[file]; ok {
		return nil
	}
	root, err := parseDoc(file)
	if err != nil {
		return err
	}
	if root.ns != NSXSD || root.local != "schema" {
		return fmt.Errorf("xsd: %s: root element is not xsd:schema", file)
	}
	d := &schemaDoc{root: root, imports: map[string]bool{NSXSD: true}}
	d.tns, _ = root.attr("targetNamespace")
	efd, _ := root.attr("elementFormDefault")
	afd, _ := root.attr("attributeFormDefault")
	d.qualifiedEl = efd == "qualified"
	d.qualifiedAt = afd == "qualified"
	d.imports[d.tns] = true
	if expectNS != "" && d.tns != expectNS {
		return fmt.Errorf("xsd: %s: targetNamespace %q, expected %q", file, d.tns, expectNS)
	}
	for _, a := range []string{"blockDefault", "finalDefault"} {
		if _, ok := root.attr(a); ok {
			return fmt.Errorf("xsd: %s: unsupported attribute %s on xsd:schema", root.where(), a)
		}
	}
	c.docs[file] = d
	c.order = append(c.order, file)
	setDoc(root, d)
	for _, ch := range root.children {
		if ch.ns != NSXSD {
			return fmt.Errorf("xsd: %s: unexpected element %s in schema", ch.where(), ch.local)
		}
		name, _ := ch.attr("name")
		q := qname{d.tns, name}
		switch ch.local {
		case "annotation":
		case "import", "include":
			loc, ok := ch.attr("schemaLocation")
			if !ok {
				return fmt.Errorf("xsd: %s: %s without schemaLocation is not supported", ch.where(), ch.local)
			}
			p, err := c.resolveLocation(loc, file)
			if err != nil {
				return err
			}
			want := d.tns
			if ch.local == "import" {
				want, _ = ch.attr("namespace")
				d.imports[want] = true
			}
			if err := c.loadDoc(p, want); err != nil {
				return err
			}
		case "simpleType":
			if err := c.define(c.simpleDefs, q, ch, d); err != nil {
				return err
			}
		case "complexType":
			if err := c.define(c.complexDefs, q, ch, d); err != nil {
				return err
			}
		case "element":
			if err := c.define(c.elementDefs, q, ch, d); err != nil {
				return err
			}
		default:
			return fmt.Errorf("xsd: %s: unsupported top-level construct xsd:%s", ch.where(), ch.local)
		}
	}
	return nil
}

func setDoc(n *node, d *schemaDoc) {
	n.doc = d
	for _, ch := range n.children {
		setDoc(ch, d)
	}
}

func (c *compiler) define(m map[qname]*node, q qname, n *node, d *schemaDoc) error {
	if q.local == "" {
		return fmt.Errorf("xsd: %s: global %s without a name", n.where(), n.local)
	}
	if _, dup := m[q]; dup {
		return fmt.Errorf("xsd: %s: %s %s defined twice", n.where(), n.local, q.local)
	}
	m[q] = n
	c.defDoc[n] = d
	return nil
}

// resolveQName resolves a QName attribute value in the scope of n. The
// namespace must be the document's own, the XSD namespace or imported by
// the document (as libxml2 requires).
func resolveQName(n *node, v string) (qname, error) {
	prefix, local := "", v
	if i := strings.IndexByte(v, ':'); i >= 0 {
		prefix, local = v[:i], v[i+1:]
	}
	ns, ok := n.scope[prefix]
	if !ok && prefix != "" {
		return qname{}, fmt.Errorf("xsd: %s: undeclared prefix in %q", n.where(), v)
	}
	if d := n.doc; d != nil && !d.imports[ns] {
		return qname{}, fmt.Errorf("xsd: %s: reference %q to namespace %q, which the document does not import", n.where(), v, ns)
	}
	return qname{ns, local}, nil
}

func (c *compiler) typeName(q qname) string {
	if q.ns == NSXSD {
		return "xsd:" + q.local
	}
	if p, ok := c.prefixes[q.ns]; ok {
		return p + ":" + q.local
	}
	return q.local
}

// children returns the XSD children of n except annotations, failing on
// foreign elements.
func children(n *node) ([]*node, error) {
	var out []*node
	for _, ch := range n.children {
		if ch.ns != NSXSD {
			return nil, fmt.Errorf("xsd: %s: unexpected element %s", ch.where(), ch.local)
		}
		if ch.local == "annotation" {
			continue
		}
		out = append(out, ch)
	}
	return out, nil
}

func checkAttrs(n *node, allowed ...string) error {
	for k := range n.attrs {
		ok := false
		for _, a := range allowed {
			if a == k {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("xsd: %s: unsupported attribute %s on xsd:%s", n.where(), k, n.local)
		}
	}
	return nil
}

// ---- simple types ----

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

// ---- complex types ----

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

func (c *compiler) extension(k *node) (*node, []*node, error) {
	if err := checkAttrs(k); err != nil {
		return nil, nil, err
	}
	kids, err := children(k)
	if err != nil {
		return nil, nil, err
	}
	if len(kids) != 1 || kids[0].local != "extension" {
		what := "nothing"
		if len(kids) > 0 {
			what = "xsd:" + kids[0].local
		}
		return nil, nil, fmt.Errorf("xsd: %s: unsupported %s in xsd:%s (only extension is supported)", k.where(), what, k.local)
	}
	ext := kids[0]
	if err := checkAttrs(ext, "base"); err != nil {
		return nil, nil, err
	}
	body, err := children(ext)
	return ext, body, err
}

func (c *compiler) simpleContent(k *node, t *rt.ComplexType, d *schemaDoc) error {
	ext, body, err := c.extension(k)
	if err != nil {
		return err
	}
	b, _ := ext.attr("base")
	q, err := resolveQName(ext, b)
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
	ext, body, err := c.extension(k)
	if err != nil {
		return err
	}
	b, _ := ext.attr("base")
	q, err := resolveQName(ext, b)
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
