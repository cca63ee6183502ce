package apigen

import (
	"fmt"
	"strconv"
	"strings"
)

// paging returns the Go constant of an operation's paging style.
func (o *op) paging() string {
	for _, p := range o.o.Parameters {
		if p.In == "header" && strings.EqualFold(p.Name, "x-continuation-token") {
			return "PagingContinuationToken"
		}
	}
	for _, p := range o.o.Parameters {
		if p.In == "query" && p.Name == "pageOffset" {
			return "PagingOffset"
		}
	}
	return "PagingNone"
}

func (o *op) auth() string {
	switch {
	case len(o.o.Security) == 0:
		return "AuthNone"
	case o.ov.operationToken:
		return "AuthOperationToken"
	}
	return "AuthAccessToken"
}

func (o *op) retrySafe() bool {
	if o.ov.retry != nil {
		return *o.ov.retry
	}
	switch o.method {
	case "GET", "HEAD", "PUT", "DELETE":
		return true
	}
	return false
}

func (o *op) status() (int, error) {
	best := 0
	for code := range o.o.Responses {
		if strings.HasPrefix(code, "2") {
			n, err := strconv.Atoi(code)
			if err != nil {
				return 0, fmt.Errorf("apigen: %s: bad status %q", o.key(), code)
			}
			if best != 0 {
				return 0, fmt.Errorf("apigen: %s: more than one success status", o.key())
			}
			best = n
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("apigen: %s: no success status", o.key())
	}
	return best, nil
}

func (g *gen) operations() (string, error) {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("package ksef\n\n")
	b.WriteString("// The operations of the KSeF API, in the order of their paths.\nconst (\n")
	for i, o := range g.ops {
		group := o.ov.group
		if group == "" {
			group = "GroupOther"
		}
		text := fmt.Sprintf("Op%s is %s (rate-limit group [%s]", o.ov.name, o.key(), group)
		switch o.auth() {
		case "AuthNone":
			text += ", no authorization"
		case "AuthOperationToken":
			text += ", authorised by an operation or refresh token"
		}
		if o.retrySafe() {
			text += ", safe to repeat"
		}
		text += ")."
		comment(&b, "\t", text)
		if i == 0 {
			fmt.Fprintf(&b, "\tOp%s Operation = iota + 1\n", o.ov.name)
		} else {
			fmt.Fprintf(&b, "\tOp%s\n", o.ov.name)
		}
	}
	b.WriteString(")\n\n")
	b.WriteString("// operationTable holds the facts of every operation: from the spec (method,\n// path, success status, x-rate-limits, paging, security,\n// x-required-permissions) and from the overlay of internal/apigen (group,\n// operation-token auth, retry safety).\n")
	b.WriteString("var operationTable = [...]OperationInfo{\n")
	for _, o := range g.ops {
		st, err := o.status()
		if err != nil {
			return "", err
		}
		group := o.ov.group
		if group == "" {
			group = "GroupOther"
		}
		rl := o.o.RateLimits
		perms := "nil"
		if len(o.o.Permissions) > 0 {
			q := make([]string, len(o.o.Permissions))
			for i, p := range o.o.Permissions {
				q[i] = strconv.Quote(p)
			}
			perms = "[]string{" + strings.Join(q, ", ") + "}"
		}
		fmt.Fprintf(&b, "\tOp%s: {Method: %q, Path: %q, Status: %d, SpecLimit: RateLimit{%d, %d, %d}, Group: %s, Auth: %s, RetrySafe: %t, Paging: %s, Permissions: %s},\n",
			o.ov.name, o.method, o.path, st, rl.PerSecond, rl.PerMinute, rl.PerHour, group, o.auth(), o.retrySafe(), o.paging(), perms)
	}
	b.WriteString("}\n")
	return b.String(), nil
}

func (g *gen) wireTest() (string, error) {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("package ksef_test\n\nimport \"github.com/ksef2/ksef\"\n\n")
	b.WriteString("// schemaTypes maps every object and enum schema of the spec to a zero\n// value of its Go type.\nvar schemaTypes = map[string]any{\n")
	var prims []string
	for _, n := range g.names {
		switch g.kindOf(n) {
		case kindPrimitive:
			prims = append(prims, strconv.Quote(n))
		case kindEnum, kindIdentType:
			fmt.Fprintf(&b, "\t%q: ksef.%s(\"\"),\n", n, goName(n))
		default:
			fmt.Fprintf(&b, "\t%q: ksef.%s{},\n", n, goName(n))
		}
	}
	b.WriteString("}\n\n")
	b.WriteString("// inlinedSchemas are the schemas of a plain string or integer, which the\n// generator inlines where they are used.\nvar inlinedSchemas = []string{" + strings.Join(prims, ", ") + "}\n")
	return b.String(), nil
}
