package ksef_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
)

// wireTypes are the JSON wire types of this package, keyed by spec schema
// name.
var wireTypes = map[string]any{
	"AuthenticationChallengeResponse":         ksef.AuthenticationChallengeResponse{},
	"AuthenticationInitResponse":              ksef.AuthenticationInitResponse{},
	"TokenInfo":                               ksef.TokenInfo{},
	"AuthenticationContextIdentifier":         ksef.AuthenticationContextIdentifier{},
	"AllowedIps":                              ksef.AllowedIps{},
	"AuthorizationPolicy":                     ksef.AuthorizationPolicy{},
	"InitTokenAuthenticationRequest":          ksef.InitTokenAuthenticationRequest{},
	"AuthenticationMethodInfo":                ksef.AuthenticationMethodInfo{},
	"StatusInfo":                              ksef.StatusInfo{},
	"AuthenticationOperationStatusResponse":   ksef.AuthenticationOperationStatusResponse{},
	"AuthenticationTokensResponse":            ksef.AuthenticationTokensResponse{},
	"AuthenticationTokenRefreshResponse":      ksef.AuthenticationTokenRefreshResponse{},
	"AuthenticationListItem":                  ksef.AuthenticationListItem{},
	"AuthenticationListResponse":              ksef.AuthenticationListResponse{},
	"PublicKeyCertificate":                    ksef.PublicKeyCertificate{},
	"TokenAuthorIdentifierTypeIdentifier":     ksef.TokenAuthorIdentifierTypeIdentifier{},
	"TokenContextIdentifierTypeIdentifier":    ksef.TokenContextIdentifierTypeIdentifier{},
	"GenerateTokenRequest":                    ksef.GenerateTokenRequest{},
	"GenerateTokenResponse":                   ksef.GenerateTokenResponse{},
	"TokenStatusResponse":                     ksef.TokenStatusResponse{},
	"QueryTokensResponseItem":                 ksef.QueryTokensResponseItem{},
	"QueryTokensResponse":                     ksef.QueryTokensResponse{},
	"Subunit":                                 ksef.Subunit{},
	"SubjectCreateRequest":                    ksef.SubjectCreateRequest{},
	"SubjectRemoveRequest":                    ksef.SubjectRemoveRequest{},
	"PersonCreateRequest":                     ksef.PersonCreateRequest{},
	"PersonRemoveRequest":                     ksef.PersonRemoveRequest{},
	"TestDataContextIdentifier":               ksef.TestDataContextIdentifier{},
	"TestDataAuthorizedIdentifier":            ksef.TestDataAuthorizedIdentifier{},
	"TestDataPermission":                      ksef.TestDataPermission{},
	"TestDataPermissionsGrantRequest":         ksef.TestDataPermissionsGrantRequest{},
	"TestDataPermissionsRevokeRequest":        ksef.TestDataPermissionsRevokeRequest{},
	"TestDataAuthenticationContextIdentifier": ksef.TestDataAuthenticationContextIdentifier{},
	"BlockContextAuthenticationRequest":       ksef.BlockContextAuthenticationRequest{},
	"UnblockContextAuthenticationRequest":     ksef.UnblockContextAuthenticationRequest{},
	"AttachmentPermissionGrantRequest":        ksef.AttachmentPermissionGrantRequest{},
	"AttachmentPermissionRevokeRequest":       ksef.AttachmentPermissionRevokeRequest{},
	"ExceptionDetails":                        ksef.ExceptionDetails{},
	"ExceptionInfo":                           ksef.ExceptionInfo{},
	"ExceptionResponse":                       ksef.ExceptionResponse{},
	"ApiError":                                ksef.ApiError{},
	"BadRequestProblemDetails":                ksef.BadRequestProblemDetails{},
	"UnauthorizedProblemDetails":              ksef.UnauthorizedProblemDetails{},
	"ForbiddenProblemDetails":                 ksef.ForbiddenProblemDetails{},
	"GoneProblemDetails":                      ksef.GoneProblemDetails{},
	"TooManyRequestsResponse":                 ksef.TooManyRequestsResponse{},
	"TooManyRequestsProblemDetails":           ksef.TooManyRequestsProblemDetails{},
}

type specSchema struct {
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
	Example    json.RawMessage            `json:"example"`
}

func loadSchemas(t *testing.T) map[string]specSchema {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]specSchema `json:"schemas"`
		} `json:"components"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	return doc.Components.Schemas
}

// TestWireTypesMatchSpec checks that each wire type has exactly the
// properties of its schema and that required properties are not omitempty.
func TestWireTypesMatchSpec(t *testing.T) {
	schemas := loadSchemas(t)
	for name, v := range wireTypes {
		s, ok := schemas[name]
		if !ok {
			t.Errorf("%s: no such schema", name)
			continue
		}
		typ := reflect.TypeOf(v)
		fields := map[string]bool{} // name -> omitempty
		for i := range typ.NumField() {
			tag := typ.Field(i).Tag.Get("json")
			if tag == "" || tag == "-" {
				continue
			}
			n, opts, _ := strings.Cut(tag, ",")
			fields[n] = strings.Contains(opts, "omitempty")
		}
		var want, got []string
		for p := range s.Properties {
			want = append(want, p)
		}
		for f := range fields {
			got = append(got, f)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Errorf("%s: properties\n spec %v\n go   %v", name, want, got)
		}
		for _, r := range s.Required {
			if fields[r] {
				t.Errorf("%s.%s: required but omitempty", name, r)
			}
		}
	}
}

// TestWireTypesDecodeSpecExamples decodes every schema example of the spec
// into its wire type, rejecting unknown fields.
func TestWireTypesDecodeSpecExamples(t *testing.T) {
	schemas := loadSchemas(t)
	n := 0
	for name, v := range wireTypes {
		ex := schemas[name].Example
		if len(ex) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(ex))
		dec.DisallowUnknownFields()
		p := reflect.New(reflect.TypeOf(v)).Interface()
		if err := dec.Decode(p); err != nil {
			t.Errorf("%s: example does not decode: %v\n%s", name, err, ex)
		}
		n++
	}
	n += decodeOperationExamples(t)
	if n < 15 {
		t.Errorf("only %d examples decoded", n)
	}
}

// decodeOperationExamples decodes the request and response examples of all
// operations whose schema is one of wireTypes.
func decodeOperationExamples(t *testing.T) int {
	type media struct {
		Schema struct {
			Ref string `json:"$ref"`
		} `json:"schema"`
		Example  json.RawMessage `json:"example"`
		Examples map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"examples"`
	}
	type op struct {
		RequestBody struct {
			Content map[string]media `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Content map[string]media `json:"content"`
		} `json:"responses"`
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	n := 0
	check := func(where string, m media) {
		name := m.Schema.Ref[strings.LastIndex(m.Schema.Ref, "/")+1:]
		v, ok := wireTypes[name]
		if !ok {
			return
		}
		exs := []json.RawMessage{m.Example}
		for _, e := range m.Examples {
			exs = append(exs, e.Value)
		}
		for _, ex := range exs {
			if len(ex) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(ex))
			dec.DisallowUnknownFields()
			if err := dec.Decode(reflect.New(reflect.TypeOf(v)).Interface()); err != nil {
				t.Errorf("%s (%s): example does not decode: %v\n%s", where, name, err, ex)
			}
			n++
		}
	}
	for path, ops := range doc.Paths {
		for method, rawOp := range ops {
			var o op
			if json.Unmarshal(rawOp, &o) != nil {
				continue
			}
			for _, m := range o.RequestBody.Content {
				check(method+" "+path+" request", m)
			}
			for code, r := range o.Responses {
				for _, m := range r.Content {
					check(method+" "+path+" "+code, m)
				}
			}
		}
	}
	return n
}
