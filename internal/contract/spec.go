package contract

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/ksef2/ksef/internal/testenv"
)

// BasePath is the path prefix of every KSeF API operation: the spec's
// server is https://api-test.ksef.mf.gov.pl/v2 and its paths are relative
// to it.
const BasePath = "/v2"

// Spec is a loaded, validated KSeF OpenAPI document together with a router
// that maps requests to its operations. A Spec is safe for concurrent use;
// callers must not modify the document returned by [Spec.Doc].
type Spec struct {
	doc    *openapi3.T
	router routers.Router
	ops    []Operation
	byKey  map[string]Operation
}

// Operation is one operation of the spec.
type Operation struct {
	// Method is the HTTP method in upper case, e.g. "POST".
	Method string
	// Path is the path template exactly as in the spec, e.g.
	// "/auth/{referenceNumber}" (relative to [BasePath]).
	Path string
	// Op is the operation object of the document.
	Op *openapi3.Operation
}

// Key returns the operation's identifier "METHOD /path", the form used by
// `// KSeF API:` doc lines, ksefsim's Handled and [Exercised].
func (o Operation) Key() string { return o.Method + " " + o.Path }

var (
	defaultOnce sync.Once
	defaultSpec *Spec
	defaultErr  error
)

// Default returns the process-wide spec loaded from testenv.SpecDir(t)
// (KSEF_SPEC_DIR or ../shared/spec). The 700 KB document is parsed once per
// process. A missing spec directory fails the test under CI and skips it
// elsewhere; a spec that cannot be loaded fails the test.
func Default(t testing.TB) *Spec {
	t.Helper()
	testenv.SpecDir(t)
	s, err := LoadDefault()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return s
}

// LoadDefault is [Default] for callers without a testing.TB (TestMain): it
// returns the process-wide spec loaded from testenv.SpecDirPath, or the
// error of that one load.
func LoadDefault() (*Spec, error) {
	defaultOnce.Do(func() {
		defaultSpec, defaultErr = Load(testenv.SpecDirPath())
	})
	return defaultSpec, defaultErr
}

var registerOnce sync.Once

// registerDecoders teaches openapi3filter the XML bodies of the KSeF API
// (XAdES auth requests, invoices, UPOs); their schema is `type: string`.
// This mutates kin-openapi's global decoder table, which only test binaries
// that import this package see.
func registerDecoders() {
	registerOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/xml", xmlBodyDecoder)
	})
}

// xmlBodyDecoder returns the body as a string after checking that it is a
// well-formed XML document.
func xmlBodyDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	elements := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: fmt.Errorf("XML body is not well-formed: %w", err)}
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
	}
	if elements == 0 {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: errors.New("XML body has no root element")}
	}
	return string(data), nil
}

// Load reads and validates openapi.json from dir and builds its router.
// Most callers want the cached [Default] instead.
func Load(dir string) (*Spec, error) {
	registerDecoders()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(filepath.Join(dir, "openapi.json"))
	if err != nil {
		return nil, fmt.Errorf("contract: load spec: %w", err)
	}
	if !doc.IsOpenAPI30() && !doc.IsOpenAPI31OrLater() {
		// kin-openapi knows 3.0.0-3.0.4 and 3.1+; an unknown 3.0.x patch
		// level is read as 3.0.
		doc.OpenAPI = "3.0.3"
	}
	// Paths are matched relative to BasePath by this package, whatever the
	// host: drop the servers so that the router does no host matching.
	doc.Servers = nil
	valOpts := []openapi3.ValidationOption{openapi3.DisableExamplesValidation()}
	if err := doc.Validate(context.Background(), valOpts...); err != nil {
		return nil, fmt.Errorf("contract: spec is not valid OpenAPI: %w", err)
	}
	router, err := legacy.NewRouter(doc, valOpts...)
	if err != nil {
		return nil, fmt.Errorf("contract: build router: %w", err)
	}
	s := &Spec{doc: doc, router: router, byKey: map[string]Operation{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := Operation{Method: strings.ToUpper(method), Path: path, Op: op}
			s.ops = append(s.ops, o)
			s.byKey[o.Key()] = o
		}
	}
	sort.Slice(s.ops, func(i, j int) bool {
		if s.ops[i].Path != s.ops[j].Path {
			return s.ops[i].Path < s.ops[j].Path
		}
		return s.ops[i].Method < s.ops[j].Method
	})
	return s, nil
}

// Doc returns the parsed document. Its Servers are cleared; do not modify it.
func (s *Spec) Doc() *openapi3.T { return s.doc }

// Operations returns every operation of the spec, sorted by path then method.
func (s *Spec) Operations() []Operation { return slices.Clone(s.ops) }

// Operation returns the operation with the given key ("METHOD /path").
func (s *Spec) Operation(key string) (Operation, bool) {
	o, ok := s.byKey[key]
	return o, ok
}

// Find maps a request method and a path relative to [BasePath] (e.g.
// "/auth/20250101-AU-...") to its operation and path parameters.
func (s *Spec) Find(method, path string) (*routers.Route, map[string]string, error) {
	u := &url.URL{Path: path}
	req := &http.Request{Method: method, URL: u}
	return s.router.FindRoute(req)
}

// SchemaName returns the component schema name a reference points to
// ("#/components/schemas/X" → "X"), or "" for inline schemas.
func SchemaName(ref string) string {
	const p = "#/components/schemas/"
	if strings.HasPrefix(ref, p) {
		return ref[len(p):]
	}
	return ""
}

// Direction tells where a schema is used.
type Direction uint8

const (
	// InRequest marks schemas reachable from a request body or parameter.
	InRequest Direction = 1 << iota
	// InResponse marks schemas reachable from a response body or header.
	InResponse
)

// SchemaUsage returns, for each component schema reachable from the given
// operations (all operations when keys is empty), whether it is used in
// requests, responses or both. Reachability follows properties, items,
// allOf/oneOf/anyOf and additionalProperties transitively.
func (s *Spec) SchemaUsage(keys ...string) map[string]Direction {
	ops := s.ops
	if len(keys) > 0 {
		ops = nil
		for _, k := range keys {
			if o, ok := s.byKey[k]; ok {
				ops = append(ops, o)
			}
		}
	}
	usage := map[string]Direction{}
	for _, o := range ops {
		seen := map[*openapi3.Schema]bool{}
		for _, p := range o.Op.Parameters {
			if p.Value != nil {
				walkSchema(p.Value.Schema, InRequest, usage, seen)
			}
		}
		if rb := o.Op.RequestBody; rb != nil && rb.Value != nil {
			for _, mt := range rb.Value.Content {
				walkSchema(mt.Schema, InRequest, usage, seen)
			}
		}
		seen = map[*openapi3.Schema]bool{}
		if o.Op.Responses != nil {
			for _, r := range o.Op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					walkSchema(mt.Schema, InResponse, usage, seen)
				}
				for _, h := range r.Value.Headers {
					if h.Value != nil {
						walkSchema(h.Value.Schema, InResponse, usage, seen)
					}
				}
			}
		}
	}
	return usage
}

func walkSchema(ref *openapi3.SchemaRef, dir Direction, usage map[string]Direction, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil {
		return
	}
	if name := SchemaName(ref.Ref); name != "" {
		usage[name] |= dir
	}
	v := ref.Value
	if seen[v] {
		return
	}
	seen[v] = true
	for _, p := range v.Properties {
		walkSchema(p, dir, usage, seen)
	}
	walkSchema(v.Items, dir, usage, seen)
	for _, l := range []openapi3.SchemaRefs{v.AllOf, v.OneOf, v.AnyOf} {
		for _, r := range l {
			walkSchema(r, dir, usage, seen)
		}
	}
	walkSchema(v.Not, dir, usage, seen)
	if v.AdditionalProperties.Schema != nil {
		walkSchema(v.AdditionalProperties.Schema, dir, usage, seen)
	}
}

// Properties returns the JSON property names of a component schema
// (including those contributed by allOf members) and the required ones. ok
// is false when the schema does not exist or is not an object schema.
func (s *Spec) Properties(schema string) (props, required []string, ok bool) {
	ref := s.doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil, nil, false
	}
	pset, rset := map[string]bool{}, map[string]bool{}
	var collect func(v *openapi3.Schema, depth int)
	collect = func(v *openapi3.Schema, depth int) {
		if v == nil || depth > 16 {
			return
		}
		for name := range v.Properties {
			pset[name] = true
		}
		for _, r := range v.Required {
			rset[r] = true
		}
		for _, a := range v.AllOf {
			if a != nil {
				collect(a.Value, depth+1)
			}
		}
	}
	collect(ref.Value, 0)
	isObject := ref.Value.Type.Is(openapi3.TypeObject) || len(pset) > 0
	if !isObject {
		return nil, nil, false
	}
	for p := range pset {
		props = append(props, p)
	}
	for r := range rset {
		required = append(required, r)
	}
	sort.Strings(props)
	sort.Strings(required)
	return props, required, true
}

// SchemaNames returns the names of all component schemas, sorted.
func (s *Spec) SchemaNames() []string {
	names := make([]string, 0, len(s.doc.Components.Schemas))
	for n := range s.doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
