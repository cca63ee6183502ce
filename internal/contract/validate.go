package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// SkipHeader is the request header through which a test opts a single
// exchange out of validation. Its value is a comma-separated list of
// "request", "response" or "all". The [Middleware] and [Transport] remove
// it before the request reaches the handler or the network, so neither the
// simulator nor a fake server ever sees it. Use it for requests that are
// malformed on purpose (to test a server's error handling) and for
// responses a test fakes deliberately outside the spec.
const SkipHeader = "X-Contract-Skip"

// Skip selects which half of an exchange is not validated.
type Skip uint8

const (
	// SkipRequest skips validation of the request (including the check that
	// its path names an operation of the spec).
	SkipRequest Skip = 1 << iota
	// SkipResponse skips validation of the response.
	SkipResponse
	// SkipAll skips both halves.
	SkipAll = SkipRequest | SkipResponse
)

// String returns the SkipHeader value for s.
func (s Skip) String() string {
	switch s {
	case SkipRequest:
		return "request"
	case SkipResponse:
		return "response"
	case SkipAll:
		return "all"
	}
	return ""
}

func parseSkip(h string) Skip {
	var s Skip
	for _, part := range strings.Split(h, ",") {
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "request":
			s |= SkipRequest
		case "response":
			s |= SkipResponse
		case "all":
			s |= SkipAll
		}
	}
	return s
}

// Option configures [Middleware] and [Transport].
type Option func(*config)

type config struct {
	basePath string
	skip     func(*http.Request) Skip
}

func newConfig(opts []Option) *config {
	c := &config{basePath: BasePath}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithBasePath sets the path prefix under which requests are validated
// (default [BasePath], "/v2"). Requests outside it (e.g. pre-signed upload
// and download URLs, which are not API operations) pass through without
// validation. An empty prefix validates every request path as is.
func WithBasePath(prefix string) Option {
	return func(c *config) { c.basePath = strings.TrimSuffix(prefix, "/") }
}

// WithSkip installs a per-request decision, in addition to [SkipHeader],
// about which halves of an exchange are not validated.
func WithSkip(f func(*http.Request) Skip) Option {
	return func(c *config) { c.skip = f }
}

// relPath returns the path relative to the base path, or false when the
// request lies outside it.
func (c *config) relPath(p string) (string, bool) {
	if c.basePath == "" {
		return p, true
	}
	if p == c.basePath {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, c.basePath+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

// skipFor reads and removes the SkipHeader of h and combines it with the
// configured decision.
func (c *config) skipFor(r *http.Request) Skip {
	s := parseSkip(strings.Join(r.Header.Values(SkipHeader), ","))
	if c.skip != nil {
		s |= c.skip(r)
	}
	return s
}

// exchange is one request/response pair being validated.
type exchange struct {
	spec   *Spec
	method string
	path   string // as sent, for messages
	route  *routers.Route
	input  *openapi3filter.RequestValidationInput
	token  string // bearer token, only to redact it from messages
	empty  bool   // the request has no body
	// problem reports that the request asked for RFC 7807 errors
	// (X-Error-Format: problem-details).
	problem bool
	body    []byte // the request body
}

// schemaErrorMessage renders a schema violation as "at /pointer: reason".
// kin-openapi keeps values out of reasons; should one still quote the
// offending string value, it is masked, since it may be a token.
func schemaErrorMessage(err *openapi3.SchemaError) string {
	reason := err.Reason
	if reason == "" {
		reason = fmt.Sprintf("doesn't match schema %q", err.SchemaField)
	}
	if err.Origin != nil {
		reason = err.Origin.Error()
	}
	if v, ok := err.Value.(string); ok && len(v) >= 4 {
		reason = strings.ReplaceAll(reason, v, "<value>")
	}
	return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), reason)
}

func filterOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		AuthenticationFunc:    authenticate,
		SkipSettingDefaults:   true,
		// A body sent to an operation that documents none is a violation.
		RejectWhenRequestBodyNotSpecified: true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.DisableSchemaErrorDetails(),
		},
	}
	o.WithCustomSchemaErrorFunc(schemaErrorMessage)
	return o
}

// authenticate accepts any request that presents a Bearer token: the
// harness validates the shape of traffic, not its security.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	sch := in.SecurityScheme
	if sch == nil || sch.Type != "http" || !strings.EqualFold(sch.Scheme, "bearer") {
		return fmt.Errorf("unsupported security scheme %q", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return errors.New("operation requires an Authorization: Bearer header")
	}
	return nil
}

// newExchange finds the operation of a request. body is the full request
// body. When the path names no operation, the returned exchange has a nil
// route and the problem is returned as a message.
func (s *Spec) newExchange(method, relPath, rawQuery string, header http.Header, body []byte) (*exchange, string) {
	ex := &exchange{spec: s, method: method, path: relPath}
	if tok, ok := strings.CutPrefix(header.Get("Authorization"), "Bearer "); ok {
		ex.token = strings.TrimSpace(tok)
	}
	route, params, err := s.Find(method, relPath)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
			return ex, "method not allowed: the spec has no " + method + " operation on this path"
		}
		return ex, "no operation of the spec matches this method and path"
	}
	ex.route = route
	ex.empty = len(body) == 0
	ex.problem = strings.EqualFold(strings.TrimSpace(header.Get("X-Error-Format")), "problem-details")
	ex.body = body
	req := &http.Request{
		Method:        method,
		URL:           &url.URL{Path: relPath, RawQuery: rawQuery},
		Header:        header.Clone(),
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader(body)),
	}
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	ex.input = &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    filterOptions(),
	}
	return ex, ""
}

// key returns "METHOD /template" for a routed exchange.
func (ex *exchange) key() string {
	if ex.route == nil {
		return ""
	}
	return strings.ToUpper(ex.route.Method) + " " + ex.route.Path
}

// validateRequest returns the request's violations. Beyond the spec's
// letter, an empty body is reported when the operation documents a body
// whose schema has required properties: the spec marks almost no request
// body as required, yet the server cannot do without them.
func (ex *exchange) validateRequest() []string {
	err := openapi3filter.ValidateRequest(context.Background(), ex.input)
	msgs := ex.messages(err)
	if rb := ex.route.Operation.RequestBody; rb != nil && rb.Value != nil && !ex.empty {
		msgs = append(msgs, undocumentedProperties(rb.Value.Content, ex.input.Request.Header.Get("Content-Type"), ex.body)...)
	}
	if rb := ex.route.Operation.RequestBody; ex.empty && rb != nil && rb.Value != nil && !rb.Value.Required {
		for ct, mt := range rb.Value.Content {
			if mt.Schema != nil && mt.Schema.Value != nil && len(mt.Schema.Value.Required) > 0 {
				msgs = append(msgs, fmt.Sprintf("request body is empty but the operation documents a %s body with required properties", ct))
				break
			}
		}
	}
	return msgs
}

// validateResponse returns the response's violations. 5xx responses are
// not validated: the spec documents none, and the simulator produces them
// only through fault injection.
func (ex *exchange) validateResponse(status int, header http.Header, body []byte) []string {
	if status >= 500 {
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: ex.input,
		Status:                 status,
		Header:                 header,
		Options:                ex.input.Options,
	}
	in.SetBodyBytes(body)
	msgs := ex.messages(openapi3filter.ValidateResponse(context.Background(), in))
	if resp := ex.route.Operation.Responses.Status(status); resp != nil && resp.Value != nil {
		if len(resp.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
			msgs = append(msgs, fmt.Sprintf("body of %d bytes but the spec documents none", len(body)))
		}
		msgs = append(msgs, undocumentedProperties(resp.Value.Content, header.Get("Content-Type"), body)...)
		msgs = append(msgs, ex.errorFormat(resp.Value.Content, header.Get("Content-Type"))...)
	}
	if status == http.StatusTooManyRequests && header.Get("Retry-After") == "" {
		// The spec documents the header without requiring it; KSeF always
		// sends it with 429 and clients depend on it.
		msgs = append(msgs, "429 without a Retry-After header")
	}
	if len(msgs) > 0 {
		for i, m := range msgs {
			msgs[i] = fmt.Sprintf("response %d: %s", status, m)
		}
	}
	return msgs
}

// messages flattens a validation error into redacted messages.
func (ex *exchange) messages(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var flatten func(error)
	flatten = func(e error) {
		if me, ok := e.(openapi3.MultiError); ok && len(me) > 0 {
			for _, x := range me {
				flatten(x)
			}
			return
		}
		out = append(out, ex.redact(e.Error()))
	}
	flatten(err)
	return out
}

// redact removes the bearer token from a message should a validator ever
// echo it.
func (ex *exchange) redact(msg string) string {
	if ex.token != "" {
		msg = strings.ReplaceAll(msg, ex.token, "REDACTED")
	}
	return msg
}

// undocumentedProperties reports the properties of JSON bodies that their
// schema does not declare. The spec's schemas do not forbid additional
// properties, so kin-openapi accepts them; the harness does not, because a
// misspelt optional property would otherwise pass unnoticed. contentType
// is the body's media type header; non-JSON bodies are not inspected.
func undocumentedProperties(content openapi3.Content, contentType string, body []byte) []string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasSuffix(mt, "json") || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	media := content.Get(contentType)
	if media == nil || media.Schema == nil {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil // reported by the schema validation
	}
	var out []string
	walkUndocumented(media.Schema, v, "", &out, 0)
	return out
}

// members returns s and the schemas it is composed of.
func members(ref *openapi3.SchemaRef, depth int) []*openapi3.Schema {
	if ref == nil || ref.Value == nil || depth > 16 {
		return nil
	}
	out := []*openapi3.Schema{ref.Value}
	for _, l := range []openapi3.SchemaRefs{ref.Value.AllOf, ref.Value.OneOf, ref.Value.AnyOf} {
		for _, m := range l {
			out = append(out, members(m, depth+1)...)
		}
	}
	return out
}

func walkUndocumented(ref *openapi3.SchemaRef, v any, ptr string, out *[]string, depth int) {
	if depth > 64 {
		return
	}
	ms := members(ref, 0)
	if len(ms) == 0 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		declared := false
		var additional *openapi3.SchemaRef
		freeForm := false
		for _, m := range ms {
			if len(m.Properties) > 0 {
				declared = true
			}
			if m.AdditionalProperties.Schema != nil {
				additional = m.AdditionalProperties.Schema
			}
			if m.AdditionalProperties.Has != nil && *m.AdditionalProperties.Has {
				freeForm = true
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var prop *openapi3.SchemaRef
			for _, m := range ms {
				if p := m.Properties[k]; p != nil {
					prop = p
					break
				}
			}
			switch {
			case prop != nil:
				walkUndocumented(prop, x[k], ptr+"/"+k, out, depth+1)
			case additional != nil:
				walkUndocumented(additional, x[k], ptr+"/"+k, out, depth+1)
			case declared && !freeForm:
				*out = append(*out, fmt.Sprintf("at %s/%s: property is not declared by the schema", ptr, k))
			}
		}
	case []any:
		var items *openapi3.SchemaRef
		for _, m := range ms {
			if m.Items != nil {
				items = m.Items
				break
			}
		}
		for i, e := range x {
			walkUndocumented(items, e, fmt.Sprintf("%s/%d", ptr, i), out, depth+1)
		}
	}
}

// errorFormat checks the KSeF rule that picks between the two documented
// error formats: where a status documents both application/json (legacy
// ExceptionResponse) and application/problem+json, the latter is returned
// exactly when the request carried "X-Error-Format: problem-details".
func (ex *exchange) errorFormat(content openapi3.Content, contentType string) []string {
	if content["application/json"] == nil || content["application/problem+json"] == nil {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil // reported by the content type check
	}
	switch {
	case ex.problem && mt == "application/json":
		return []string{"X-Error-Format: problem-details was requested but the error is application/json"}
	case !ex.problem && mt == "application/problem+json":
		return []string{"the error is application/problem+json although X-Error-Format: problem-details was not requested"}
	}
	return nil
}
