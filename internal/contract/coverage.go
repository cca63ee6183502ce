package contract

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// OperationCoverage is the state of one spec operation.
type OperationCoverage struct {
	// Op is "METHOD /path".
	Op string
	// SDK lists the functions whose doc comment names the operation.
	SDK []string
	// Simulated reports whether the simulator handles the operation.
	Simulated bool
	// Tested reports whether a validated call with a 2xx response was
	// recorded during this process (see [Exercised]).
	Tested bool
}

// Claimed reports whether the SDK or the simulator claims the operation.
func (c OperationCoverage) Claimed() bool { return len(c.SDK) > 0 || c.Simulated }

// Complete reports whether the operation has exactly one SDK method, a
// simulator handler and a test.
func (c OperationCoverage) Complete() bool { return len(c.SDK) == 1 && c.Simulated && c.Tested }

// Missing describes what a claimed operation lacks ("" when complete).
func (c OperationCoverage) Missing() string {
	var m []string
	switch {
	case len(c.SDK) == 0:
		m = append(m, "SDK method")
	case len(c.SDK) > 1:
		m = append(m, "a single SDK method (claimed by "+strings.Join(c.SDK, ", ")+")")
	}
	if !c.Simulated {
		m = append(m, "simulator handler")
	}
	if !c.Tested {
		m = append(m, "test calling it (validated 2xx exchange)")
	}
	if len(m) == 0 {
		return ""
	}
	return "missing " + strings.Join(m, ", ")
}

// Coverage is the three-way coverage of the spec: SDK methods, simulator
// handlers and tests.
type Coverage struct {
	// Operations holds every operation of the spec, sorted by key.
	Operations []OperationCoverage
	// Unknown lists claims (SDK lines, simulator handlers) that name no
	// operation of the spec.
	Unknown []string
}

// Covered returns how many operations are complete.
func (c *Coverage) Covered() int {
	n := 0
	for _, o := range c.Operations {
		if o.Complete() {
			n++
		}
	}
	return n
}

// Problems lists, one line each, the claimed operations that are
// incomplete and the claims naming no operation.
func (c *Coverage) Problems() []string {
	var p []string
	for _, o := range c.Operations {
		if o.Claimed() && !o.Complete() {
			p = append(p, o.Op+": "+o.Missing())
		}
	}
	return append(p, c.Unknown...)
}

// ComputeCoverage combines the SDK's doc lines, the simulator's handled
// operations and the exercised operations against the operations of the
// spec.
func (s *Spec) ComputeCoverage(sdk []APIMethod, handled, exercised []string) *Coverage {
	ops := make([]string, 0, len(s.ops))
	for _, o := range s.ops {
		ops = append(ops, o.Key())
	}
	return ComputeCoverage(ops, sdk, handled, exercised)
}

// ComputeCoverage combines the SDK's doc lines, the simulator's handled
// operations and the exercised operations against ops ("METHOD /path"
// keys; the root package passes its operation table).
func ComputeCoverage(ops []string, sdk []APIMethod, handled, exercised []string) *Coverage {
	cov := &Coverage{}
	idx := map[string]int{}
	for _, o := range ops {
		cov.Operations = append(cov.Operations, OperationCoverage{Op: o})
	}
	sort.Slice(cov.Operations, func(i, j int) bool { return cov.Operations[i].Op < cov.Operations[j].Op })
	for i, o := range cov.Operations {
		idx[o.Op] = i
	}
	for _, m := range sdk {
		i, ok := idx[m.Op]
		if !ok {
			cov.Unknown = append(cov.Unknown, fmt.Sprintf("%s: SDK %s names %q, which is not an operation of the spec", m.Pos, m.Func, m.Op))
			continue
		}
		if !slices.Contains(cov.Operations[i].SDK, m.Func) {
			cov.Operations[i].SDK = append(cov.Operations[i].SDK, m.Func)
		}
	}
	for _, h := range handled {
		i, ok := idx[h]
		if !ok {
			cov.Unknown = append(cov.Unknown, fmt.Sprintf("simulator handles %q, which is not an operation of the spec", h))
			continue
		}
		cov.Operations[i].Simulated = true
	}
	for _, e := range exercised {
		if i, ok := idx[e]; ok {
			cov.Operations[i].Tested = true
		}
	}
	return cov
}

// WriteReport writes the summary line "operations covered: N/T" followed
// by a table of the claimed operations and their state.
func (c *Coverage) WriteReport(w io.Writer) {
	fmt.Fprintf(w, "operations covered: %d/%d\n", c.Covered(), len(c.Operations))
	claimed := 0
	for _, o := range c.Operations {
		if o.Claimed() {
			claimed++
		}
	}
	if claimed == 0 {
		return
	}
	fmt.Fprintf(w, "  %-4s %-4s %-4s  %s\n", "sdk", "sim", "test", "operation")
	mark := func(b bool) string {
		if b {
			return "x"
		}
		return "-"
	}
	for _, o := range c.Operations {
		if !o.Claimed() {
			continue
		}
		sdk := mark(len(o.SDK) == 1)
		if len(o.SDK) > 1 {
			sdk = fmt.Sprintf("%dx", len(o.SDK))
		}
		fmt.Fprintf(w, "  %-4s %-4s %-4s  %s\n", sdk, mark(o.Simulated), mark(o.Tested), o.Op)
	}
}
