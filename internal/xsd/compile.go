package xsd

import (
	"fmt"
	"path/filepath"
	"sort"
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
