package ksefsim

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/authxsd"
)

// Namespaces of the AuthTokenRequest document.
const (
	authNS20 = "http://ksef.mf.gov.pl/auth/token/2.0"
	authNS21 = "http://ksef.mf.gov.pl/auth/token/2.1"
	dsigNS   = "http://www.w3.org/2000/09/xmldsig#"
)

// isChallenge reports whether s is a reference number of an authentication
// challenge ("YYYYMMDD-CR-...", see ident.ParseReferenceNumber).
func isChallenge(s string) bool {
	r, err := ident.ParseReferenceNumber(s)
	return err == nil && r.Category() == KindChallenge
}

// authTokenRequest is a parsed AuthTokenRequest.
type authTokenRequest struct {
	challenge   string
	ctx         ctxID
	subjectType string // certificateSubject | certificateFingerprint
	allowedIps  *ksef.AllowedIps
	signatures  int
}

// xmlError is a rejection of the XML document with a KSeF exception code.
type xmlError struct {
	code   int
	detail string
}

func (e *xmlError) Error() string { return fmt.Sprintf("%d: %s", e.code, e.detail) }

func xsdError(format string, args ...any) *xmlError {
	return &xmlError{code: 21401, detail: fmt.Sprintf(format, args...)}
}

// parseAuthTokenRequest reads an AuthTokenRequest (schema 2.0 or 2.1) with
// authxsd.Read, the reader the SDK's ksef.ParseAuthTokenRequest uses too:
// the document is validated against the auth XSD (with its enveloped
// ds:Signature left out), and may be the root (enveloped signature) or sit
// inside a ds:Signature (enveloping, as XML or base64).
func parseAuthTokenRequest(body []byte) (*authTokenRequest, *xmlError) {
	d, err := authxsd.Read(body)
	if err != nil {
		var e *authxsd.Error
		if !errors.As(err, &e) {
			return nil, &xmlError{21001, "Nie można odczytać dokumentu."}
		}
		switch e.Kind {
		case authxsd.KindEncoding:
			return nil, &xmlError{21217, "Dokument nie jest poprawnie zakodowany (oczekiwano UTF-8 bez BOM): " + e.Msg}
		case authxsd.KindMalformed:
			return nil, &xmlError{21001, "Dokument nie jest poprawnym XML: " + e.Msg}
		default:
			return nil, xsdError("%s", e.Msg)
		}
	}
	req := &authTokenRequest{
		challenge:   d.Challenge,
		ctx:         ctxID{Type: d.ContextType, Value: d.ContextValue},
		subjectType: d.SubjectIdentifierType,
		signatures:  d.Signatures,
	}
	if !isChallenge(req.challenge) {
		return nil, xsdError("Element Challenge ma nieprawidłowy format.")
	}
	if err := checkContextPattern(req.ctx); err != nil {
		return nil, xsdError("%v", err)
	}
	if d.HasAuthorizationPolicy {
		a := &ksef.AllowedIps{Ip4Addresses: d.Ip4Addresses, Ip4Ranges: d.Ip4Ranges, Ip4Masks: d.Ip4Masks}
		if _, err := parseIPPolicy(a); err != nil {
			return nil, xsdError("AllowedIps: %v", err)
		}
		req.allowedIps = a
	}
	return req, nil
}

// sameContent reports whether two reads of an AuthTokenRequest carry the
// same values (the signature count aside).
func (r *authTokenRequest) sameContent(o *authTokenRequest) bool {
	return r.challenge == o.challenge && r.ctx == o.ctx && r.subjectType == o.subjectType &&
		reflect.DeepEqual(r.allowedIps, o.allowedIps)
}
