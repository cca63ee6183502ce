package ksef

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/ksef2/ksef/internal/authxsd"
)

// XML namespaces of the AuthTokenRequest document signed for
// POST /auth/xades-signature.
const (
	// AuthTokenNamespace is the namespace of schema version 2.1
	// (schemat_auth_v2-1.xsd), the one the SDK produces.
	AuthTokenNamespace = "http://ksef.mf.gov.pl/auth/token/2.1"
	// AuthTokenNamespaceV20 is the namespace of schema version 2.0, still
	// accepted by KSeF and by [ParseAuthTokenRequest].
	AuthTokenNamespaceV20 = "http://ksef.mf.gov.pl/auth/token/2.0"
)

// AuthSubjectIdentifierType says how KSeF derives the authenticating
// subject from the signing certificate.
type AuthSubjectIdentifierType string

// Subject identifier types of an AuthTokenRequest.
const (
	// AuthSubjectCertificateSubject takes the identity (NIP or PESEL) from
	// the certificate's serialNumber or organizationIdentifier attribute.
	AuthSubjectCertificateSubject AuthSubjectIdentifierType = "certificateSubject"
	// AuthSubjectCertificateFingerprint takes the SHA-256 fingerprint of the
	// certificate as the identity.
	AuthSubjectCertificateFingerprint AuthSubjectIdentifierType = "certificateFingerprint"
)

// AuthTokenContextIdentifier is the XML ContextIdentifier choice: exactly one
// field is set.
type AuthTokenContextIdentifier struct {
	// Nip is a NIP context.
	Nip string `xml:"Nip,omitempty"`
	// InternalID is an internal identifier context ("{nip}-{5 digits}").
	InternalID string `xml:"InternalId,omitempty"`
	// NipVatUe is a composite NIP + EU VAT number context.
	NipVatUe string `xml:"NipVatUe,omitempty"`
	// PeppolID is a Peppol provider context.
	PeppolID string `xml:"PeppolId,omitempty"`
}

// Context returns the context identifier as a [ContextIdentifier]; it fails
// unless exactly one choice is set.
func (c AuthTokenContextIdentifier) Context() (ContextIdentifier, error) {
	var out []ContextIdentifier
	if c.Nip != "" {
		out = append(out, ContextIdentifier{Type: ContextNip, Value: c.Nip})
	}
	if c.InternalID != "" {
		out = append(out, ContextIdentifier{Type: ContextInternalID, Value: c.InternalID})
	}
	if c.NipVatUe != "" {
		out = append(out, ContextIdentifier{Type: ContextNipVatUe, Value: c.NipVatUe})
	}
	if c.PeppolID != "" {
		out = append(out, ContextIdentifier{Type: ContextPeppolID, Value: c.PeppolID})
	}
	if len(out) != 1 {
		return ContextIdentifier{}, fmt.Errorf("ksef: AuthTokenRequest ContextIdentifier must hold exactly one identifier, found %d", len(out))
	}
	return out[0], nil
}

// AuthTokenAllowedIps is the XML AllowedIps element (each list at most 10).
type AuthTokenAllowedIps struct {
	// Ip4Address are single IPv4 addresses.
	Ip4Address []string `xml:"Ip4Address"`
	// Ip4Range are IPv4 ranges "a.b.c.d-e.f.g.h".
	Ip4Range []string `xml:"Ip4Range"`
	// Ip4Mask are IPv4 CIDR blocks.
	Ip4Mask []string `xml:"Ip4Mask"`
}

// AuthTokenAuthorizationPolicy is the XML AuthorizationPolicy element.
type AuthTokenAuthorizationPolicy struct {
	// AllowedIps restricts client addresses.
	AllowedIps AuthTokenAllowedIps `xml:"AllowedIps"`
}

// AuthTokenRequest is the XML document that is XAdES-signed and sent to
// POST /auth/xades-signature (schema schemat_auth_v2-1.xsd). Marshal it with
// [AuthTokenRequest.Marshal]; parse a (signed) document with
// [ParseAuthTokenRequest].
type AuthTokenRequest struct {
	// XMLName is the root element; its Space is the namespace found when
	// parsing (2.0 or 2.1). Marshal always writes [AuthTokenNamespace].
	XMLName xml.Name `xml:"AuthTokenRequest"`
	// Challenge is the challenge from POST /auth/challenge.
	Challenge string `xml:"Challenge"`
	// ContextIdentifier is the context to authenticate in.
	ContextIdentifier AuthTokenContextIdentifier `xml:"ContextIdentifier"`
	// SubjectIdentifierType says how the subject is derived from the
	// certificate.
	SubjectIdentifierType AuthSubjectIdentifierType `xml:"SubjectIdentifierType"`
	// AuthorizationPolicy optionally restricts client addresses.
	AuthorizationPolicy *AuthTokenAuthorizationPolicy `xml:"AuthorizationPolicy,omitempty"`
}

// NewAuthTokenRequest builds an AuthTokenRequest for the given challenge,
// context and subject identifier type, with an optional IP policy.
func NewAuthTokenRequest(challenge string, ctxID ContextIdentifier, subject AuthSubjectIdentifierType, ips *AllowedIps) (*AuthTokenRequest, error) {
	r := &AuthTokenRequest{Challenge: challenge, SubjectIdentifierType: subject}
	switch ctxID.Type {
	case ContextNip:
		r.ContextIdentifier.Nip = ctxID.Value
	case ContextInternalID:
		r.ContextIdentifier.InternalID = ctxID.Value
	case ContextNipVatUe:
		r.ContextIdentifier.NipVatUe = ctxID.Value
	case ContextPeppolID:
		r.ContextIdentifier.PeppolID = ctxID.Value
	default:
		return nil, fmt.Errorf("ksef: unknown context identifier type %q", ctxID.Type)
	}
	if ips != nil {
		r.AuthorizationPolicy = &AuthTokenAuthorizationPolicy{AllowedIps: AuthTokenAllowedIps{
			Ip4Address: ips.Ip4Addresses,
			Ip4Range:   ips.Ip4Ranges,
			Ip4Mask:    ips.Ip4Masks,
		}}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// Validate checks the structural rules of the schema that encoding/xml does
// not: the challenge length, exactly one context identifier, a known subject
// identifier type and at most 10 entries per IP list.
func (r *AuthTokenRequest) Validate() error {
	if len(r.Challenge) != 36 {
		return fmt.Errorf("ksef: AuthTokenRequest challenge must be 36 characters, got %d", len(r.Challenge))
	}
	if _, err := r.ContextIdentifier.Context(); err != nil {
		return err
	}
	switch r.SubjectIdentifierType {
	case AuthSubjectCertificateSubject, AuthSubjectCertificateFingerprint:
	default:
		return fmt.Errorf("ksef: AuthTokenRequest has unknown SubjectIdentifierType %q", r.SubjectIdentifierType)
	}
	if p := r.AuthorizationPolicy; p != nil {
		a := p.AllowedIps
		ips := &AllowedIps{Ip4Addresses: a.Ip4Address, Ip4Ranges: a.Ip4Range, Ip4Masks: a.Ip4Mask}
		if err := ips.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Marshal returns the UTF-8 XML document (with an XML declaration, no BOM)
// in the [AuthTokenNamespace] namespace, ready to be signed.
func (r *AuthTokenRequest) Marshal() ([]byte, error) {
	c := authTokenRequestOut(*r)
	body, err := xml.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ksef: marshal AuthTokenRequest: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.Write(body)
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// ParseAuthTokenRequest parses an AuthTokenRequest document (signed or not)
// in either the 2.0 or the 2.1 namespace and validates it against the
// official auth schema. The document may be the AuthTokenRequest itself
// (its enveloped ds:Signature child is left out) or an enveloping
// ds:Signature holding it in a ds:Object, as XML or base64. It reads the
// document exactly as the simulator does: child elements or attributes
// inside Challenge, Nip or SubjectIdentifierType are refused. It does not
// verify the signature; do that with package xades.
func ParseAuthTokenRequest(doc []byte) (*AuthTokenRequest, error) {
	d, err := authxsd.Read(doc)
	if err != nil {
		return nil, fmt.Errorf("ksef: parse AuthTokenRequest: %w", err)
	}
	r := &AuthTokenRequest{
		XMLName:               xml.Name{Space: d.Namespace, Local: "AuthTokenRequest"},
		Challenge:             d.Challenge,
		SubjectIdentifierType: AuthSubjectIdentifierType(d.SubjectIdentifierType),
	}
	switch d.ContextType {
	case "Nip":
		r.ContextIdentifier.Nip = d.ContextValue
	case "InternalId":
		r.ContextIdentifier.InternalID = d.ContextValue
	case "NipVatUe":
		r.ContextIdentifier.NipVatUe = d.ContextValue
	case "PeppolId":
		r.ContextIdentifier.PeppolID = d.ContextValue
	}
	if d.HasAuthorizationPolicy {
		r.AuthorizationPolicy = &AuthTokenAuthorizationPolicy{AllowedIps: AuthTokenAllowedIps{
			Ip4Address: d.Ip4Addresses,
			Ip4Range:   d.Ip4Ranges,
			Ip4Mask:    d.Ip4Masks,
		}}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// authTokenRequestOut is AuthTokenRequest with the 2.1 namespace fixed in
// the root tag (the tag, not the XMLName value, decides what is written).
type authTokenRequestOut struct {
	XMLName               xml.Name                      `xml:"http://ksef.mf.gov.pl/auth/token/2.1 AuthTokenRequest"`
	Challenge             string                        `xml:"Challenge"`
	ContextIdentifier     AuthTokenContextIdentifier    `xml:"ContextIdentifier"`
	SubjectIdentifierType AuthSubjectIdentifierType     `xml:"SubjectIdentifierType"`
	AuthorizationPolicy   *AuthTokenAuthorizationPolicy `xml:"AuthorizationPolicy,omitempty"`
}
