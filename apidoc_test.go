package ksef_test

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
)

// apiLine matches a `// KSeF API: METHOD /path` line of a doc comment.
var apiLine = regexp.MustCompile(`KSeF API: ((?:GET|POST|PUT|DELETE|PATCH) /\S+)`)

// TestKSeFAPILinesMatchCalls: every `// KSeF API: METHOD /path` line on a function of
// package ksef names an operation the function really makes, directly (an
// Op… constant in its body) or through the package's functions and the
// methods of its own type it calls. The SDK reference (docs/sdk-reference.md)
// trusts these lines, so a line left behind by a change would misstate it.
func TestKSeFAPILinesMatchCalls(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	opNames := map[string]string{} // OpAuthChallenge -> "POST /auth/challenge"
	for _, o := range ksef.Operations() {
		opNames[opConsts[o]] = o.String()
	}
	type fn struct {
		decl *ast.FuncDecl
		recv string // receiver type name, "" for a function
	}
	funcs := map[string]fn{} // "Type.Method" or "Func"
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(".", name), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			key, recv := fd.Name.Name, ""
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				recv = recvType(fd.Recv.List[0].Type)
				key = recv + "." + key
			}
			funcs[key] = fn{fd, recv}
		}
	}
	// reach returns the operations key makes, transitively.
	memo := map[string][]string{}
	var reach func(key string, seen map[string]bool) []string
	reach = func(key string, seen map[string]bool) []string {
		if ops, ok := memo[key]; ok {
			return ops
		}
		if seen[key] {
			return nil
		}
		seen[key] = true
		f := funcs[key]
		var recvName string
		if f.decl.Recv != nil && len(f.decl.Recv.List[0].Names) == 1 {
			recvName = f.decl.Recv.List[0].Names[0].Name
		}
		set := map[string]bool{}
		ast.Inspect(f.decl.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if op, ok := opNames[x.Name]; ok {
					set[op] = true
				}
				if _, ok := funcs[x.Name]; ok {
					for _, op := range reach(x.Name, seen) {
						set[op] = true
					}
				}
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == recvName && recvName != "" {
					if _, ok := funcs[f.recv+"."+x.Sel.Name]; ok {
						for _, op := range reach(f.recv+"."+x.Sel.Name, seen) {
							set[op] = true
						}
					}
				}
			}
			return true
		})
		ops := make([]string, 0, len(set))
		for op := range set {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		memo[key] = ops
		return ops
	}
	lines := 0
	for key, f := range funcs {
		if f.decl.Doc == nil {
			continue
		}
		for _, m := range apiLine.FindAllStringSubmatch(f.decl.Doc.Text(), -1) {
			lines++
			if ops := reach(key, map[string]bool{}); !slices.Contains(ops, m[1]) {
				t.Errorf("%s: its doc says KSeF API: %s, but it makes %v", key, m[1], ops)
			}
		}
	}
	if lines < 80 {
		t.Errorf("only %d KSeF API lines found", lines)
	}
	t.Logf("%d KSeF API lines checked", lines)
}

// opConsts maps each operation to its constant's name, parsed from the
// generated const block (OpX Operation = iota + 1, then one name a line).
var opConsts = func() map[ksef.Operation]string {
	f, err := parser.ParseFile(token.NewFileSet(), "operations_gen.go", nil, 0)
	if err != nil {
		panic(err)
	}
	out := map[ksef.Operation]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for i, s := range gd.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "Op") {
					out[ksef.Operation(i+1)] = n.Name
				}
			}
		}
	}
	return out
}()

func recvType(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvType(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvType(x.X)
	}
	return ""
}
