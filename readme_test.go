package ksef_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

// readmeImports maps the package names the README's snippets use to their
// import paths.
var readmeImports = map[string]string{
	"ksef":        "github.com/ksef2/ksef",
	"ksefsim":     "github.com/ksef2/ksef/ksefsim",
	"credentials": "github.com/ksef2/ksef/credentials",
	"fa3":         "github.com/ksef2/ksef/fa3",
	"qr":          "github.com/ksef2/ksef/qr",
	"visual":      "github.com/ksef2/ksef/visual",
	"upo":         "github.com/ksef2/ksef/upo",
	"ksefsend":    "github.com/ksef2/ksef/ksefsend",
	"ident":       "github.com/ksef2/ksef/ident",
	"net":         "net",
	"fmt":         "fmt",
	"errors":      "errors",
	"time":        "time",
}

var unusedVar = regexp.MustCompile(`declared and not used: (\w+)`)

// TestREADMESnippetsCompile extracts the ```go blocks of README.md, in
// order, into the body of one function (so the simulator snippet and the
// SDK snippet must agree with each other) in a temporary module that
// requires this one through a replace directive, and builds it with the go
// command, offline. A variable a snippet declares for the reader but does
// not use is allowed (the test adds "_ = name"); any other compile error
// fails.
func TestREADMESnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		if testenv.InCI() {
			t.Fatal("the go command is required under CI")
		}
		t.Skip("the go command is not installed")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(readme), "```go\n")[1:] {
		code, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatal("unterminated ```go block in README.md")
		}
		blocks = append(blocks, code)
	}
	if len(blocks) < 3 {
		t.Fatalf("%d Go blocks in README.md, want the simulator, SDK and invoice snippets", len(blocks))
	}
	body := strings.Join(blocks, "\n")
	var code strings.Builder // body without comments, to find the packages used
	for _, line := range strings.Split(body, "\n") {
		line, _, _ = strings.Cut(line, "//")
		code.WriteString(line + "\n")
	}
	var imports []string
	for name, path := range readmeImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(code.String()) {
			imports = append(imports, `"`+path+`"`)
		}
	}
	slices.Sort(imports)

	dir := t.TempDir()
	gomod := "module readme\n\ngo 1.26\n\nrequire github.com/ksef2/ksef v0.0.0\n\nreplace github.com/ksef2/ksef => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	var unused []string
	for try := 0; try < 2; try++ {
		var src strings.Builder
		src.WriteString("package main\n\nimport (\n\t\"context\"\n")
		for _, imp := range imports {
			src.WriteString("\t" + imp + "\n")
		}
		src.WriteString(")\n\nfunc main() { _ = readme(context.Background()) }\n\nfunc readme(ctx context.Context) error {\n")
		src.WriteString(body)
		for _, v := range unused {
			src.WriteString("\t_ = " + v + "\n")
		}
		src.WriteString("\treturn nil\n}\n")
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goBin, "build", "-o", os.DevNull, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err == nil {
			return
		}
		// Only "declared and not used" may be fixed up, once.
		var others []string
		unused = unused[:0]
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if m := unusedVar.FindStringSubmatch(line); m != nil {
				unused = append(unused, m[1])
			} else if strings.HasPrefix(line, "./") {
				others = append(others, line)
			}
		}
		if len(others) > 0 || len(unused) == 0 || try == 1 {
			t.Fatalf("README.md's Go snippets do not compile together:\n%s\n--- main.go ---\n%s", out, src.String())
		}
	}
}
