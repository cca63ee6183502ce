package gen

import (
	"fmt"
	"go/format"
	"sort"
	"strings"
	"unicode"

	"github.com/ksef2/ksef/internal/xsd"
	"github.com/ksef2/ksef/internal/xsd/rt"
)

// modelGen generates one Go struct per complex type (named, or anonymous
// and named after its element) and one string type per named simple type.
type modelGen struct {
	tns       string
	rootName  string
	used      map[string]bool
	simpleGo  map[*rt.SimpleType]string
	complexGo map[*rt.ComplexType]string
	structs   []*goStruct
	simples   []*rt.SimpleType
	err       error
}

type goStruct struct {
	name    string
	xsdName string // schema type name or "" for anonymous
	elem    string // element name for anonymous types
	root    *rt.Element
	t       *rt.ComplexType
	fields  []*goField
}

type goField struct {
	name     string
	xmlName  string
	ns       string
	goType   string
	attr     bool
	chardata bool
	optional bool
	multi    bool
	complex  bool
	xsdType  string
	fixed    string
}

// goTypeName strips the namespace prefix of a schema type name; types of
// imported namespaces get the capitalised prefix when the bare name is
// taken.
func (g *modelGen) claim(base, alt string) string {
	n := base
	if g.used[n] && alt != "" {
		n = alt
	}
	for i := 2; g.used[n]; i++ {
		n = fmt.Sprintf("%s%d", base, i)
	}
	g.used[n] = true
	return n
}

func exported(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			up = true
			continue
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) {
		out = "X" + out
	}
	return out
}

func splitName(n string) (prefix, local string) {
	if i := strings.IndexByte(n, ':'); i >= 0 {
		return n[:i], n[i+1:]
	}
	return "", n
}

func genModel(cfg Config, c *xsd.Compiled) ([]byte, error) {
	g := &modelGen{tns: c.TargetNamespace, rootName: cfg.Root, used: map[string]bool{}, simpleGo: map[*rt.SimpleType]string{}, complexGo: map[*rt.ComplexType]string{}}
	// Named simple types first, target namespace before imports, so that
	// the target's names stay unprefixed.
	var named []*rt.SimpleType
	walkTypes(c.Schema.Roots, func(t *rt.SimpleType) {
		if t.Name != "" && !strings.HasPrefix(t.Name, "xsd:") {
			named = append(named, t)
		}
	})
	sort.SliceStable(named, func(i, j int) bool { return typeOrder(named[i].Name) < typeOrder(named[j].Name) })
	g.used[cfg.Root] = true
	for _, t := range named {
		if _, ok := g.simpleGo[t]; ok {
			continue
		}
		p, l := splitName(t.Name)
		g.simpleGo[t] = g.claim(exported(l), exported(p)+exported(l))
		g.simples = append(g.simples, t)
	}
	if len(c.Schema.Roots) == 0 {
		return nil, fmt.Errorf("gen: schema has no root element")
	}
	for _, r := range c.Schema.Roots {
		if r.Complex == nil {
			return nil, fmt.Errorf("gen: root element %s has a simple type", r.Name)
		}
		name := cfg.Root
		if r.Name != cfg.Root {
			name = g.claim(exported(r.Name), "")
		}
		g.structFor(r.Complex, name, r.Name, r)
	}
	if g.err != nil {
		return nil, g.err
	}
	return g.emit(cfg, c)
}

// typeOrder sorts type names: target namespace ("tns:") first, then others.
func typeOrder(n string) string {
	if strings.HasPrefix(n, "tns:") {
		return "0" + n
	}
	return "1" + n
}

func walkTypes(roots []*rt.Element, f func(*rt.SimpleType)) {
	seenC := map[*rt.ComplexType]bool{}
	var walkC func(*rt.ComplexType)
	var walkP func(*rt.Particle)
	walkS := func(t *rt.SimpleType) {
		if t == nil {
			return
		}
		f(t)
	}
	walkE := func(e *rt.Element) {
		walkS(e.Simple)
		walkC(e.Complex)
	}
	walkP = func(p *rt.Particle) {
		if p == nil {
			return
		}
		if p.Element != nil {
			walkE(p.Element)
		}
		for _, ch := range p.Children {
			walkP(ch)
		}
	}
	walkC = func(t *rt.ComplexType) {
		if t == nil || seenC[t] {
			return
		}
		seenC[t] = true
		for _, a := range t.Attributes {
			walkS(a.Type)
		}
		walkS(t.Simple)
		walkP(t.Content)
	}
	for _, r := range roots {
		walkE(r)
	}
}

func (g *modelGen) simpleGoType(t *rt.SimpleType) string {
	if n, ok := g.simpleGo[t]; ok {
		return n
	}
	return "string"
}

// structFor returns the Go struct name of complex type t, generating it
// on first use. Anonymous types are named after their element, prefixed
// with the enclosing struct's name when the bare name is taken.
func (g *modelGen) structFor(t *rt.ComplexType, name, elem string, root *rt.Element) string {
	if n, ok := g.complexGo[t]; ok {
		return n
	}
	s := &goStruct{name: name, xsdName: t.Name, elem: elem, root: root, t: t}
	g.complexGo[t] = name
	g.structs = append(g.structs, s)
	used := map[string]bool{"XMLName": true}
	add := func(f *goField) {
		base := f.name
		for i := 2; used[f.name]; i++ {
			f.name = fmt.Sprintf("%s%d", base, i)
		}
		used[f.name] = true
		s.fields = append(s.fields, f)
	}
	if t.Simple != nil {
		add(&goField{name: "Value", goType: g.simpleGoType(t.Simple), chardata: true, xsdType: t.Simple.Name})
	}
	for _, a := range t.Attributes {
		f := &goField{name: exported(a.Name), xmlName: a.Name, ns: a.Namespace, goType: g.simpleGoType(a.Type), attr: true, optional: !a.Required, xsdType: a.Type.Name}
		if a.HasFixed {
			f.fixed = a.Fixed
		}
		add(f)
	}
	byName := map[string]*goField{}
	var collect func(p *rt.Particle, optional, multi bool)
	collect = func(p *rt.Particle, optional, multi bool) {
		if p == nil {
			return
		}
		opt := optional || p.Min == 0
		mul := multi || p.Max == rt.Unbounded || p.Max > 1
		switch p.Kind {
		case rt.ParticleElement:
			e := p.Element
			f := &goField{name: exported(e.Name), xmlName: e.Name, optional: opt, multi: mul}
			if e.Namespace != "" && e.Namespace != g.tns {
				f.ns = e.Namespace
			}
			if e.Complex != nil {
				f.complex = true
				f.xsdType = e.Complex.Name
			} else {
				f.goType = g.simpleGoType(e.Simple)
				f.xsdType = e.Simple.Name
				f.fixed = e.Fixed
			}
			if _, ok := byName[e.Name]; ok {
				// One field per name would lose the order between the two
				// occurrences; none of the KSeF schemas needs this.
				g.err = fmt.Errorf("gen: element %s occurs twice in the content model of %s; not supported by the struct generator", e.Name, name)
				return
			}
			byName[e.Name] = f
			add(f)
			if e.Complex != nil {
				sub := e.Complex
				if sub.Name != "" {
					p, l := splitName(sub.Name)
					if _, ok := g.complexGo[sub]; !ok {
						g.structFor(sub, g.claim(exported(l), exported(p)+exported(l)), e.Name, nil)
					}
				} else if _, ok := g.complexGo[sub]; !ok {
					g.structFor(sub, g.claim(exported(e.Name), name+exported(e.Name)), e.Name, nil)
				}
				f.goType = g.complexGo[sub]
			}
		case rt.ParticleSequence:
			if p.Max != 1 && len(p.Children) > 1 {
				g.err = fmt.Errorf("gen: repeated sequence in %s: typed structs cannot keep the interleaving", name)
			}
			for _, ch := range p.Children {
				collect(ch, opt, mul)
			}
		case rt.ParticleChoice:
			if p.Max != 1 && len(p.Children) > 1 {
				g.err = fmt.Errorf("gen: repeated choice in %s: typed structs cannot keep the order", name)
			}
			for _, ch := range p.Children {
				collect(ch, opt || len(p.Children) > 1, mul)
			}
		}
	}
	collect(t.Content, false, false)
	return name
}

func (g *modelGen) emit(cfg Config, c *xsd.Compiled) ([]byte, error) {
	var b strings.Builder
	b.WriteString(header(cfg, c))
	b.WriteString("import \"encoding/xml\"\n\n")
	for _, t := range g.simples {
		n := g.simpleGo[t]
		fmt.Fprintf(&b, "// %s is the schema simple type %s (%s).\n", n, t.Name, describeSimple(t))
		fmt.Fprintf(&b, "type %s string\n\n", n)
		if len(t.Enumeration) > 0 {
			consts := g.enumConsts(n, t.Enumeration)
			if len(consts) > 0 {
				fmt.Fprintf(&b, "// Values of %s.\nconst (\n", n)
				for _, kv := range consts {
					fmt.Fprintf(&b, "%s %s = %q\n", kv[0], n, kv[1])
				}
				b.WriteString(")\n\n")
			}
		}
	}
	for _, s := range g.structs {
		switch {
		case s.root != nil:
			fmt.Fprintf(&b, "// %s is the root element %s of namespace %s.\n", s.name, s.root.Name, s.root.Namespace)
		case s.xsdName != "":
			fmt.Fprintf(&b, "// %s is the schema complex type %s.\n", s.name, s.xsdName)
		default:
			fmt.Fprintf(&b, "// %s is the anonymous type of element %s.\n", s.name, s.elem)
		}
		fmt.Fprintf(&b, "type %s struct {\n", s.name)
		if s.root != nil {
			fmt.Fprintf(&b, "XMLName xml.Name `xml:\"%s %s\"`\n", s.root.Namespace, s.root.Name)
		}
		for _, f := range s.fields {
			b.WriteString(fieldDoc(f))
			typ := f.goType
			switch {
			case f.multi:
				typ = "[]" + typ
			case f.optional:
				typ = "*" + typ
			}
			var tag string
			switch {
			case f.chardata:
				tag = ",chardata"
			case f.attr:
				tag = f.xmlName + ",attr"
				if f.ns != "" {
					tag = f.ns + " " + tag
				}
			default:
				tag = f.xmlName
				if f.ns != "" {
					tag = f.ns + " " + tag
				}
			}
			if f.optional && !f.multi && !f.chardata {
				tag += ",omitempty"
			}
			fmt.Fprintf(&b, "%s %s `xml:\"%s\"`\n", f.name, typ, tag)
		}
		b.WriteString("}\n\n")
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("gen: formatting model: %w\n%s", err, b.String())
	}
	return out, nil
}

func fieldDoc(f *goField) string {
	var what string
	switch {
	case f.chardata:
		what = "is the character content"
	case f.attr:
		what = "is attribute " + f.xmlName
	default:
		what = "is element " + f.xmlName
	}
	var notes []string
	if f.xsdType != "" {
		notes = append(notes, "type "+f.xsdType)
	}
	switch {
	case f.multi:
		notes = append(notes, "repeated")
	case f.optional:
		notes = append(notes, "optional")
	case !f.chardata:
		notes = append(notes, "required")
	}
	if f.fixed != "" {
		notes = append(notes, fmt.Sprintf("fixed %q", f.fixed))
	}
	return fmt.Sprintf("// %s %s (%s).\n", f.name, what, strings.Join(notes, ", "))
}

func describeSimple(t *rt.SimpleType) string {
	var parts []string
	if len(t.Union) > 0 {
		parts = append(parts, fmt.Sprintf("union of %d types", len(t.Union)))
	} else {
		parts = append(parts, t.Kind.String())
	}
	if len(t.Enumeration) > 0 {
		parts = append(parts, fmt.Sprintf("%d allowed values", len(t.Enumeration)))
	}
	if t.MaxLength >= 0 {
		parts = append(parts, fmt.Sprintf("max length %d", t.MaxLength))
	}
	if len(t.Patterns) > 0 {
		parts = append(parts, "pattern")
	}
	return strings.Join(parts, ", ")
}

// enumConsts names enumeration constants TypeName+Value; values that do
// not make a unique identifier get no constant.
func (g *modelGen) enumConsts(typ string, vals []string) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, v := range vals {
		var b strings.Builder
		for _, r := range v {
			switch {
			case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
				b.WriteRune(r)
			case r == ' ' || r == '-' || r == '.' || r == '_' || r == '/':
				b.WriteByte('_')
			default:
				b.Reset()
				b.WriteString("\x00")
			}
			if strings.HasPrefix(b.String(), "\x00") {
				break
			}
		}
		s := b.String()
		if s == "" || strings.HasPrefix(s, "\x00") {
			continue
		}
		name := typ + s
		if s[0] >= '0' && s[0] <= '9' {
			name = typ + "_" + s
		}
		if seen[name] || g.used[name] {
			continue
		}
		seen[name] = true
		g.used[name] = true
		out = append(out, [2]string{name, v})
	}
	return out
}
