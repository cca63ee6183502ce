package app

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/internal/contract"
)

var updateReference = flag.Bool("update", false, "rewrite docs/sdk-reference.md")

// referenceFile is the generated SDK reference, relative to this package.
const referenceFile = "../../../../docs/sdk-reference.md"

// referenceRoot is the module root, relative to this package.
const referenceRoot = "../../../.."

// TestSDKReference generates docs/sdk-reference.md — each operation of
// the API → the Go method that calls it → the CLI commands that reach it —
// from the code, and fails when the committed file differs (run with
// -update to rewrite it). Go methods come from the `// KSeF API:` lines of
// package ksef; a method without such a line (an iterator, a waiter, a
// login) counts for the operations of the methods of its type that it
// calls. CLI commands come from the command tree: the function behind each
// command's RunE is parsed and searched, with the functions of its package
// it calls, for calls of the services of the SDK clients.
func TestSDKReference(t *testing.T) {
	root := referenceRoot
	apiMethods, _, err := contract.ScanAPIMethods(root)
	if err != nil {
		t.Fatal(err)
	}
	direct := map[string][]string{} // Go function -> operations
	for _, m := range apiMethods {
		direct[m.Func] = append(direct[m.Func], m.Op)
	}
	fields := serviceFields()
	calls, err := receiverCalls(root, fields)
	if err != nil {
		t.Fatal(err)
	}
	ops := func(fn string) []string { return resolveOps(fn, direct, calls, map[string]bool{}) }

	// Operation -> CLI command paths.
	cliOps := map[string][]string{}
	pkgs := map[string]*pkgFuncs{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.RunE != nil {
			used, err := commandCalls(c, fields, pkgs)
			if err != nil {
				t.Fatalf("%s: %v", c.CommandPath(), err)
			}
			for fn := range used {
				for _, op := range ops(fn) {
					if !slices.Contains(cliOps[op], c.CommandPath()) {
						cliOps[op] = append(cliOps[op], c.CommandPath())
					}
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(cli.NewFactory("test")))

	var b bytes.Buffer
	all := ksef.Operations()
	withGo, withCLI := 0, 0
	rows := make([]string, 0, len(all))
	for i, op := range all {
		info := op.Info()
		name := op.String()
		var goNames []string
		for _, m := range apiMethods {
			if m.Op == name {
				goNames = append(goNames, "`"+goExpr(m.Func, fields)+"`")
			}
		}
		slices.Sort(goNames)
		cmds := cliOps[name]
		slices.Sort(cmds)
		for j, c := range cmds {
			cmds[j] = "`" + c + "`"
		}
		if len(goNames) > 0 {
			withGo++
		}
		if len(cmds) > 0 {
			withCLI++
		}
		rows = append(rows, fmt.Sprintf("| %d | `%s %s` | %s | %s | %s |", i+1, info.Method, info.Path, info.Group,
			orDash(strings.Join(goNames, ", ")), orDash(strings.Join(cmds, ", "))))
	}
	fmt.Fprintf(&b, "# SDK reference: KSeF API operations → Go methods → CLI commands\n\n")
	fmt.Fprintf(&b, "Generated from the code by `TestSDKReference` (cmd/ksef/internal/app/reference_test.go): the\n")
	fmt.Fprintf(&b, "operation table of package `ksef`, the `// KSeF API:` lines of its methods and the `ksef` command\n")
	fmt.Fprintf(&b, "tree. The test fails when this file is out of date; regenerate it with\n\n")
	fmt.Fprintf(&b, "    go test ./cmd/ksef/internal/app -run TestSDKReference -update\n\n")
	fmt.Fprintf(&b, "Go methods are written as reached from a client: `c` is a `*ksef.Client`, `a` an\n")
	fmt.Fprintf(&b, "`*ksef.AuthenticatedClient` (it has the services of `c` too). Iterators (`...All`) and waiters\n")
	fmt.Fprintf(&b, "(`Wait...`) next to a method call the same operation. A CLI command is listed when the code\n")
	fmt.Fprintf(&b, "behind it calls the operation's method (directly, through an iterator, a waiter or a login).\n\n")
	fmt.Fprintf(&b, "**%d of %d operations have a Go method; %d have a CLI command.** A dash marks a gap.\n\n", withGo, len(all), withCLI)
	fmt.Fprintf(&b, "| # | Operation | Rate-limit group | Go method | CLI command |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}

	old, _ := os.ReadFile(referenceFile)
	if *updateReference {
		if err := os.MkdirAll(filepath.Dir(referenceFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(referenceFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d/%d operations with a Go method, %d with a CLI command", referenceFile, withGo, len(all), withCLI)
		return
	}
	if !bytes.Equal(old, b.Bytes()) {
		t.Errorf("docs/sdk-reference.md is out of date (%d/%d operations with a Go method, %d with a CLI command); regenerate it with\n"+
			"  go test ./cmd/ksef/internal/app -run TestSDKReference -update", withGo, len(all), withCLI)
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// serviceFields maps the service fields of ksef.AuthenticatedClient and
// ksef.Client to the names of their types: "Limits" -> "LimitsService",
// and records which client holds them ("a" or "c").
type fieldInfo struct{ typ, holder string }

func serviceFields() map[string]fieldInfo {
	out := map[string]fieldInfo{}
	add := func(t reflect.Type, holder string) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Service") {
				continue
			}
			if _, ok := out[f.Name]; !ok {
				out[f.Name] = fieldInfo{typ: f.Type.Elem().Name(), holder: holder}
			}
		}
	}
	add(reflect.TypeFor[ksef.Client](), "c")
	add(reflect.TypeFor[ksef.AuthenticatedClient](), "a")
	return out
}

// goExpr writes "(*LimitsService).Context" as "a.Limits.Context".
func goExpr(fn string, fields map[string]fieldInfo) string {
	typ, method, ok := strings.Cut(strings.TrimPrefix(fn, "(*"), ").")
	if !ok {
		return "ksef." + fn
	}
	for name, f := range fields {
		if f.typ == typ {
			return f.holder + "." + name + "." + method
		}
	}
	return "(*ksef." + typ + ")." + method
}

// receiverCalls parses package ksef and returns, for each method, the
// methods of the same type it calls on its receiver, and the methods of
// the services it calls through its receiver's service fields
// (a.AuthSessions.RevokeCurrent in (*AuthenticatedClient).Logout).
func receiverCalls(dir string, fields map[string]fieldInfo) (map[string][]string, error) {
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	_ = fset
	out := map[string][]string{}
	for k := range resultTypes {
		delete(resultTypes, k)
	}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) == 0 || len(fd.Recv.List[0].Names) == 0 || fd.Body == nil {
				continue
			}
			recv := fd.Recv.List[0].Names[0].Name
			typ := typeName(fd.Recv.List[0].Type)
			self := "(*" + typ + ")." + fd.Name.Name
			if res := fd.Type.Results; res != nil && len(res.List) > 0 {
				if star, ok := res.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok {
						resultTypes[self] = id.Name
					}
				}
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == recv {
						out[self] = append(out[self], "(*"+typ+")."+sel.Sel.Name)
					}
					if inner, ok := sel.X.(*ast.SelectorExpr); ok {
						if id, ok := inner.X.(*ast.Ident); ok && id.Name == recv {
							if f, ok := fields[inner.Sel.Name]; ok {
								out[self] = append(out[self], "(*"+f.typ+")."+sel.Sel.Name)
							}
						}
					}
				}
				return true
			})
		}
	}
	return out, nil
}

// resultTypes maps an SDK method to the named type its first result points
// to, e.g. "(*SessionsService).OpenOnline" -> "OnlineSession" (filled by
// receiverCalls).
var resultTypes = map[string]string{}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return typeName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return typeName(x.X)
	}
	return ""
}

// resolveOps returns the operations fn calls: its own `KSeF API:` lines,
// or those of the methods of its type it calls.
func resolveOps(fn string, direct, calls map[string][]string, seen map[string]bool) []string {
	if ops, ok := direct[fn]; ok {
		return ops
	}
	if seen[fn] {
		return nil
	}
	seen[fn] = true
	var out []string
	for _, callee := range calls[fn] {
		for _, op := range resolveOps(callee, direct, calls, seen) {
			if !slices.Contains(out, op) {
				out = append(out, op)
			}
		}
	}
	return out
}

func parseDir(dir string) (*token.FileSet, []*ast.File, error) {
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		return nil, nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	return fset, files, nil
}

// pkgFuncs are the parsed files of a command package and its top-level
// functions by name.
type pkgFuncs struct {
	fset  *token.FileSet
	files []*ast.File
	funcs map[string]*ast.FuncDecl
}

func loadPkg(dir string, cache map[string]*pkgFuncs) (*pkgFuncs, error) {
	if p, ok := cache[dir]; ok {
		return p, nil
	}
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkgFuncs{fset: fset, files: files, funcs: map[string]*ast.FuncDecl{}}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				p.funcs[fd.Name.Name] = fd
			}
		}
	}
	cache[dir] = p
	return p, nil
}

// commandCalls returns the SDK methods ("(*TokensService).List") the
// function behind c.RunE calls, directly or through the top-level
// functions of its package.
func commandCalls(c *cobra.Command, fields map[string]fieldInfo, cache map[string]*pkgFuncs) (map[string]bool, error) {
	pc := reflect.ValueOf(c.RunE).Pointer()
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return nil, fmt.Errorf("no function for RunE")
	}
	file, line := fn.FileLine(fn.Entry())
	if rest, ok := strings.CutPrefix(filepath.ToSlash(file), "github.com/ksef2/ksef/"); ok && !filepath.IsAbs(file) {
		// built with -trimpath: module-relative path
		file = filepath.Join(referenceRoot, filepath.FromSlash(rest))
	}
	p, err := loadPkg(filepath.Dir(file), cache)
	if err != nil {
		return nil, err
	}
	var body ast.Node
	for _, f := range p.files {
		if p.fset.Position(f.Pos()).Filename != file {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if body != nil {
				return false
			}
			switch x := n.(type) {
			case *ast.FuncLit:
				if p.fset.Position(x.Pos()).Line == line {
					body = x
					return false
				}
			case *ast.FuncDecl:
				if p.fset.Position(x.Pos()).Line == line {
					body = x
					return false
				}
			}
			return true
		})
	}
	if body == nil {
		return nil, fmt.Errorf("RunE function not found at %s:%d", file, line)
	}
	// When RunE was built by a helper (cmd.RunE = run(f, func(...) {...})),
	// the operation is in the constructor of the command, the function
	// holding its Use string: scan that instead.
	ctors := constructorsOf(p, c.Use, c.Short)
	inside := slices.ContainsFunc(ctors, func(fd *ast.FuncDecl) bool { return fd.Pos() <= body.Pos() && body.End() <= fd.End() })
	if !inside && len(ctors) == 1 {
		body = ctors[0]
	}
	used := map[string]bool{}
	seen := map[*ast.FuncDecl]bool{}
	vars := map[string]string{} // local variable -> SDK type it holds
	// sdkMethod names the SDK method a selector expression denotes, or "".
	sdkMethod := func(x *ast.SelectorExpr) string {
		switch inner := x.X.(type) {
		case *ast.SelectorExpr:
			if f, ok := fields[inner.Sel.Name]; ok {
				return "(*" + f.typ + ")." + x.Sel.Name
			}
			if inner.Sel.Name == "Client" {
				return "(*AuthenticatedClient)." + x.Sel.Name
			}
		case *ast.Ident:
			if t, ok := vars[inner.Name]; ok {
				return "(*" + t + ")." + x.Sel.Name
			}
		}
		return ""
	}
	var scan func(n ast.Node)
	scan = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.AssignStmt:
				// sess := s.Client.Sessions; on, err := sess.OpenOnline(...)
				if len(x.Rhs) == 1 && len(x.Lhs) >= 1 {
					if id, ok := x.Lhs[0].(*ast.Ident); ok {
						switch r := x.Rhs[0].(type) {
						case *ast.SelectorExpr:
							if f, ok := fields[r.Sel.Name]; ok {
								vars[id.Name] = f.typ
							}
						case *ast.CallExpr:
							if sel, ok := r.Fun.(*ast.SelectorExpr); ok {
								if t, ok := resultTypes[sdkMethod(sel)]; ok {
									vars[id.Name] = t
								}
							}
						}
					}
				}
			case *ast.SelectorExpr:
				if m := sdkMethod(x); m != "" {
					used[m] = true
				}
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok {
					if fd := p.funcs[id.Name]; fd != nil && !seen[fd] {
						seen[fd] = true
						scan(fd)
					}
				}
			}
			return true
		})
	}
	scan(body)
	return used, nil
}

// constructorsOf returns the top-level functions of p that set a
// command's Use to the string literal use, in name order; when several
// do (two "remove --nip NIP" commands), those that also hold the string
// literal short, the command's Short.
func constructorsOf(p *pkgFuncs, use, short string) []*ast.FuncDecl {
	out := constructorsWith(p, use)
	if len(out) > 1 {
		if narrowed := slices.DeleteFunc(slices.Clone(out), func(fd *ast.FuncDecl) bool { return !hasLiteral(fd, short) }); len(narrowed) > 0 {
			return narrowed
		}
	}
	return out
}

// hasLiteral reports whether the string literal s appears in n.
func hasLiteral(n ast.Node, s string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && (lit.Value == strconv.Quote(s) || lit.Value == "`"+s+"`") {
			found = true
		}
		return !found
	})
	return found
}

// constructorsWith returns the top-level functions of p that set a
// command's Use to the string literal use, in name order.
func constructorsWith(p *pkgFuncs, use string) []*ast.FuncDecl {
	quoted := strconv.Quote(use)
	raw := "`" + use + "`"
	var out []*ast.FuncDecl
	for _, name := range slices.Sorted(maps.Keys(p.funcs)) {
		fd := p.funcs[name]
		found := false
		isUse := func(e ast.Expr) bool {
			lit, ok := e.(*ast.BasicLit)
			return ok && lit.Kind == token.STRING && (lit.Value == quoted || lit.Value == raw)
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.KeyValueExpr: // &cobra.Command{Use: "..."}
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Use" && isUse(x.Value) {
					found = true
				}
			case *ast.AssignStmt: // cmd.Use = "..."
				for i, l := range x.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Use" && i < len(x.Rhs) && isUse(x.Rhs[i]) {
						found = true
					}
				}
			case *ast.CallExpr: // queryCmd(f, "...", ...): a builder of the package whose parameter is named use
				if id, ok := x.Fun.(*ast.Ident); ok {
					if b := p.funcs[id.Name]; b != nil && b.Type.Params != nil {
						i := 0
						for _, field := range b.Type.Params.List {
							for _, n := range field.Names {
								if n.Name == "use" && i < len(x.Args) && isUse(x.Args[i]) {
									found = true
								}
								i++
							}
						}
					}
				}
			}
			return !found
		})
		if found {
			out = append(out, fd)
		}
	}
	return out
}
