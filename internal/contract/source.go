package contract

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// APIMethod is one `// KSeF API: METHOD /path` line in the doc comment of
// an SDK function or method.
type APIMethod struct {
	// Op is the operation named by the line, "METHOD /path".
	Op string
	// Func names the function, e.g. "(*AuthService).Challenge" or "Login".
	Func string
	// Pos is the file:line of the doc line.
	Pos string
}

var apiLine = regexp.MustCompile(`^KSeF API:\s*(.*?)\s*$`)
var apiOp = regexp.MustCompile(`^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (/\S*)$`)

// packageFiles parses the non-test Go files of the package in dir that the
// current build context selects.
func packageFiles(dir string) (*token.FileSet, []*ast.File, error) {
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		if _, ok := err.(*build.NoGoError); !ok {
			return nil, nil, fmt.Errorf("contract: %s: %w", dir, err)
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	if pkg == nil {
		return fset, nil, nil
	}
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, nil, fmt.Errorf("contract: %w", err)
		}
		files = append(files, f)
	}
	return fset, files, nil
}

func position(fset *token.FileSet, p token.Pos) string {
	pos := fset.Position(p)
	return filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
}

// ScanAPIMethods parses the non-test Go files of the package in dir and
// returns every `// KSeF API: METHOD /path` line found in the doc comment
// of a function or method. A function may carry several lines. problems
// lists such lines that are malformed or stand outside a function's doc
// comment. Whether the operations exist is left to the caller.
func ScanAPIMethods(dir string) (methods []APIMethod, problems []string, err error) {
	fset, files, err := packageFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		inDoc := map[*ast.Comment]bool{}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Doc == nil {
				continue
			}
			for _, c := range fd.Doc.List {
				inDoc[c] = true
				m := apiLine.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(c.Text, "//")))
				if m == nil {
					continue
				}
				pos := position(fset, c.Pos())
				if !apiOp.MatchString(m[1]) {
					problems = append(problems, fmt.Sprintf("%s: malformed %q: want \"KSeF API: METHOD /path\"", pos, c.Text))
					continue
				}
				methods = append(methods, APIMethod{Op: m[1], Func: funcName(fd), Pos: pos})
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if inDoc[c] || !strings.HasPrefix(c.Text, "//") {
					continue
				}
				if apiLine.MatchString(strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))) {
					problems = append(problems, fmt.Sprintf("%s: %q is not in the doc comment of a function", position(fset, c.Pos()), c.Text))
				}
			}
		}
	}
	return methods, problems, nil
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	return "(" + exprString(fd.Recv.List[0].Type) + ")." + fd.Name.Name
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.IndexExpr:
		return exprString(x.X) + "[" + exprString(x.Index) + "]"
	case *ast.IndexListExpr:
		return exprString(x.X) + "[...]"
	case *ast.ArrayType:
		return "[]" + exprString(x.Elt)
	case *ast.MapType:
		return "map[" + exprString(x.Key) + "]" + exprString(x.Value)
	}
	return fmt.Sprintf("%T", e)
}

// WireType is an exported struct type declared in a wire_*.go file.
type WireType struct {
	// Name is the Go type name (and, by convention, the schema name).
	Name string
	// Pos is the file:line of the declaration.
	Pos string
	// Fields are the JSON properties, embedded structs flattened.
	Fields []WireField
	// Problems are fields the scanner could not resolve.
	Problems []string
}

// WireField is one JSON property of a wire type.
type WireField struct {
	// JSON is the property name (json tag name, else the Go field name).
	JSON string
	// Go is the Go field name.
	Go string
	// OmitEmpty reports an omitempty or omitzero tag option.
	OmitEmpty bool
	// Kind is the JSON kind the Go type encodes to: "string", "integer",
	// "number", "boolean", "array", "object", or "" when unknown (custom
	// marshalers, interfaces, foreign types).
	Kind string
}

// typeIndex knows the type declarations and marshaler methods of a package.
type typeIndex struct {
	types   map[string]*ast.TypeSpec
	custom  map[string]bool // types with MarshalJSON or MarshalText
	fileOf  map[string]string
	fset    *token.FileSet
	visited map[string]bool
}

// ScanWireTypes parses the non-test Go files of the package in dir and
// returns its exported struct types declared in files named wire_*.go,
// sorted by name. Embedded structs of the same package are flattened as
// encoding/json does; fields tagged "-" and unexported fields are left out.
func ScanWireTypes(dir string) ([]WireType, error) {
	fset, files, err := packageFiles(dir)
	if err != nil {
		return nil, err
	}
	ix := &typeIndex{types: map[string]*ast.TypeSpec{}, custom: map[string]bool{}, fileOf: map[string]string{}, fset: fset}
	for _, f := range files {
		fname := filepath.Base(fset.Position(f.Pos()).Filename)
		for _, d := range f.Decls {
			switch x := d.(type) {
			case *ast.GenDecl:
				for _, s := range x.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						ix.types[ts.Name.Name] = ts
						ix.fileOf[ts.Name.Name] = fname
					}
				}
			case *ast.FuncDecl:
				if x.Recv != nil && len(x.Recv.List) > 0 {
					switch x.Name.Name {
					case "MarshalJSON", "MarshalText":
						ix.custom[strings.TrimPrefix(exprString(x.Recv.List[0].Type), "*")] = true
					}
				}
			}
		}
	}
	var out []WireType
	for name, ts := range ix.types {
		if !ast.IsExported(name) || !strings.HasPrefix(ix.fileOf[name], "wire_") || ts.TypeParams != nil {
			continue
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			continue
		}
		wt := WireType{Name: name, Pos: position(fset, ts.Pos())}
		ix.visited = map[string]bool{name: true}
		ix.flatten(st, &wt)
		out = append(out, wt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (ix *typeIndex) flatten(st *ast.StructType, wt *WireType) {
	for _, fld := range st.Fields.List {
		tag := ""
		if fld.Tag != nil {
			if s, err := strconv.Unquote(fld.Tag.Value); err == nil {
				tag = reflect.StructTag(s).Get("json")
			}
		}
		if tag == "-" {
			continue
		}
		tname, opts, _ := strings.Cut(tag, ",")
		omit := false
		for _, o := range strings.Split(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				omit = true
			}
		}
		if len(fld.Names) == 0 { // embedded
			base := fld.Type
			if s, ok := base.(*ast.StarExpr); ok {
				base = s.X
			}
			id, isIdent := base.(*ast.Ident)
			if tname == "" && isIdent {
				ts := ix.types[id.Name]
				if ts == nil {
					wt.Problems = append(wt.Problems, fmt.Sprintf("embedded %s is not declared in the package", id.Name))
					continue
				}
				if est, ok := ts.Type.(*ast.StructType); ok {
					if ix.visited[id.Name] {
						continue
					}
					ix.visited[id.Name] = true
					ix.flatten(est, wt)
					continue
				}
				if !ast.IsExported(id.Name) {
					continue
				}
			}
			if tname == "" && !isIdent {
				wt.Problems = append(wt.Problems, fmt.Sprintf("embedded %s cannot be resolved", exprString(fld.Type)))
				continue
			}
			goName := exprString(base)
			if i := strings.LastIndex(goName, "."); i >= 0 {
				goName = goName[i+1:]
			}
			if tname == "" {
				tname = goName
			}
			wt.Fields = append(wt.Fields, WireField{JSON: tname, Go: goName, OmitEmpty: omit, Kind: ix.kind(fld.Type, 0)})
			continue
		}
		for _, n := range fld.Names {
			if !n.IsExported() {
				continue
			}
			jn := tname
			if jn == "" {
				jn = n.Name
			}
			wt.Fields = append(wt.Fields, WireField{JSON: jn, Go: n.Name, OmitEmpty: omit, Kind: ix.kind(fld.Type, 0)})
		}
	}
}

// kind returns the JSON kind a Go type expression encodes to, or "".
func (ix *typeIndex) kind(e ast.Expr, depth int) string {
	if depth > 32 {
		return ""
	}
	switch x := e.(type) {
	case *ast.StarExpr:
		return ix.kind(x.X, depth+1)
	case *ast.ParenExpr:
		return ix.kind(x.X, depth+1)
	case *ast.ArrayType:
		if id, ok := x.Elt.(*ast.Ident); ok && id.Name == "byte" && x.Len == nil {
			return "string" // base64
		}
		return "array"
	case *ast.MapType, *ast.StructType:
		return "object"
	case *ast.SelectorExpr:
		switch exprString(x) {
		case "time.Time":
			return "string"
		case "time.Duration":
			return "integer"
		}
		return ""
	case *ast.Ident:
		switch x.Name {
		case "string":
			return "string"
		case "bool":
			return "boolean"
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "byte", "rune", "uintptr":
			return "integer"
		case "float32", "float64":
			return "number"
		}
		if ix.custom[x.Name] {
			return ""
		}
		if ts := ix.types[x.Name]; ts != nil && ts.TypeParams == nil {
			return ix.kind(ts.Type, depth+1)
		}
	}
	return ""
}

// CheckWireType compares a wire type with the component schema of the same
// name. ok is false when there is no object schema of that name (the type
// is then not a wire type of the spec). asRequest demands that required
// properties are not omitempty/omitzero, since such a request would drop
// a zero-valued required property. problems lists missing properties,
// extra properties, duplicate properties, omitempty on required request
// properties and JSON kind mismatches.
func (s *Spec) CheckWireType(wt WireType, asRequest bool) (problems []string, ok bool) {
	props, required, ok := s.Properties(wt.Name)
	if !ok {
		return nil, false
	}
	problems = append(problems, wt.Problems...)
	schema := s.doc.Components.Schemas[wt.Name].Value
	byJSON := map[string]WireField{}
	for _, f := range wt.Fields {
		if _, dup := byJSON[f.JSON]; dup {
			problems = append(problems, fmt.Sprintf("property %q appears twice", f.JSON))
		}
		byJSON[f.JSON] = f
	}
	var missing, extra []string
	pset := map[string]bool{}
	for _, p := range props {
		pset[p] = true
		if _, ok := byJSON[p]; !ok {
			missing = append(missing, p)
		}
	}
	for _, f := range wt.Fields {
		if !pset[f.JSON] {
			extra = append(extra, fmt.Sprintf("%s (field %s)", f.JSON, f.Go))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing properties: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		problems = append(problems, "properties not in the schema: "+strings.Join(extra, ", "))
	}
	if asRequest {
		for _, r := range required {
			if f, ok := byJSON[r]; ok && f.OmitEmpty {
				problems = append(problems, fmt.Sprintf("required property %q (field %s) is omitempty in a request type", r, f.Go))
			}
		}
	}
	for _, p := range props {
		f, ok := byJSON[p]
		if !ok || f.Kind == "" {
			continue
		}
		want := propertyKind(schema, p)
		if want == "" || want == f.Kind {
			continue
		}
		problems = append(problems, fmt.Sprintf("property %q (field %s) is %s in Go but %s in the schema", p, f.Go, f.Kind, want))
	}
	return problems, true
}

// propertyKind returns the JSON type of a property of an object schema
// (following single-member allOf wrappers), or "" when unconstrained.
func propertyKind(schema *openapi3.Schema, prop string) string {
	ref := findProperty(schema, prop, 0)
	for depth := 0; ref != nil && ref.Value != nil && depth < 16; depth++ {
		v := ref.Value
		if v.Type != nil && len(*v.Type) == 1 {
			return (*v.Type)[0]
		}
		if len(v.AllOf) == 1 {
			ref = v.AllOf[0]
			continue
		}
		return ""
	}
	return ""
}

// findProperty looks a property up in a schema and its allOf members.
func findProperty(schema *openapi3.Schema, prop string, depth int) *openapi3.SchemaRef {
	if schema == nil || depth > 16 {
		return nil
	}
	if p := schema.Properties[prop]; p != nil {
		return p
	}
	for _, m := range schema.AllOf {
		if m != nil {
			if p := findProperty(m.Value, prop, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

// WireEnum is a string type declared in a wire_*.go file together with the
// typed string constants of the package that belong to it.
type WireEnum struct {
	// Name is the Go type name (and, by convention, the schema name).
	Name string
	// Pos is the file:line of the declaration.
	Pos string
	// Values are the constants, in declaration order.
	Values []EnumValue
}

// EnumValue is one typed string constant.
type EnumValue struct {
	// Const is the constant's name.
	Const string
	// Value is its string value.
	Value string
	// Pos is the file:line of the constant.
	Pos string
}

// ScanWireEnums parses the non-test Go files of the package in dir and
// returns its exported types with underlying type string declared in files
// named wire_*.go, each with the constants declared with that type (in any
// non-test file), sorted by name.
func ScanWireEnums(dir string) ([]WireEnum, error) {
	fset, files, err := packageFiles(dir)
	if err != nil {
		return nil, err
	}
	enums := map[string]*WireEnum{}
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(fset.Position(f.Pos()).Filename), "wire_") {
			continue
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if id, ok := ts.Type.(*ast.Ident); ok && id.Name == "string" && ts.Name.IsExported() && !ts.Assign.IsValid() {
					enums[ts.Name.Name] = &WireEnum{Name: ts.Name.Name, Pos: position(fset, ts.Pos())}
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || enums[id.Name] == nil {
					continue
				}
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						break
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						continue
					}
					e := enums[id.Name]
					e.Values = append(e.Values, EnumValue{Const: n.Name, Value: v, Pos: position(fset, n.Pos())})
				}
			}
		}
	}
	out := make([]WireEnum, 0, len(enums))
	for _, e := range enums {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CheckWireEnum compares an enum type with the component schema of the same
// name. ok is false when there is no string schema with an enum of that
// name. problems lists constants whose value the schema does not allow (a
// misspelt constant) and values declared by two constants; missing lists
// schema values without a constant.
func (s *Spec) CheckWireEnum(e WireEnum) (problems, missing []string, ok bool) {
	ref := s.doc.Components.Schemas[e.Name]
	if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
		return nil, nil, false
	}
	allowed := map[string]bool{}
	for _, v := range ref.Value.Enum {
		if str, ok := v.(string); ok {
			allowed[str] = true
		}
	}
	seen := map[string]string{}
	for _, v := range e.Values {
		if !allowed[v.Value] {
			problems = append(problems, fmt.Sprintf("%s: %s = %q is not a value of the schema", v.Pos, v.Const, v.Value))
		}
		if prev, dup := seen[v.Value]; dup {
			problems = append(problems, fmt.Sprintf("%s: %s repeats the value %q of %s", v.Pos, v.Const, v.Value, prev))
		}
		seen[v.Value] = v.Const
	}
	for v := range allowed {
		if _, ok := seen[v]; !ok {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	return problems, missing, true
}
