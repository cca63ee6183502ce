package ksefsim

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
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

// parseAuthTokenRequest reads an AuthTokenRequest (schema 2.0 or 2.1) the
// way the schema describes it: elements in order, nothing unknown (apart
// from the ds:Signature that signs it). The document may be the root
// (enveloped signature) or sit inside a ds:Signature (enveloping).
func parseAuthTokenRequest(body []byte) (*authTokenRequest, *xmlError) {
	if bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}) {
		return nil, &xmlError{21217, "Dokument zawiera znacznik BOM; oczekiwano UTF-8 bez BOM."}
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(body); err != nil {
		return nil, &xmlError{21001, "Dokument nie jest poprawnym XML."}
	}
	root := doc.Root()
	if root == nil {
		return nil, &xmlError{21001, "Dokument nie zawiera elementu głównego."}
	}
	req := &authTokenRequest{}
	// Count signatures anywhere in the document.
	var count func(e *etree.Element)
	count = func(e *etree.Element) {
		if e.Tag == "Signature" && e.NamespaceURI() == dsigNS {
			req.signatures++
		}
		for _, c := range e.ChildElements() {
			count(c)
		}
	}
	count(root)
	atr := root
	if root.Tag == "Signature" && root.NamespaceURI() == dsigNS {
		// Enveloping: the document is inside ds:Object.
		atr = nil
		for _, obj := range root.SelectElements("Object") {
			for _, c := range obj.ChildElements() {
				if c.Tag == "AuthTokenRequest" {
					atr = c
				}
			}
		}
		if atr == nil {
			return nil, xsdError("Brak elementu AuthTokenRequest.")
		}
	}
	ns := atr.NamespaceURI()
	if atr.Tag != "AuthTokenRequest" || (ns != authNS20 && ns != authNS21) {
		return nil, xsdError("Oczekiwano elementu AuthTokenRequest w przestrzeni nazw %s lub %s, otrzymano {%s}%s.", authNS21, authNS20, ns, atr.Tag)
	}
	var kids []*etree.Element
	for _, c := range atr.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsigNS {
			continue
		}
		if c.NamespaceURI() != ns {
			return nil, xsdError("Nieoczekiwany element {%s}%s.", c.NamespaceURI(), c.Tag)
		}
		kids = append(kids, c)
	}
	next := func(name string, optional bool) (*etree.Element, *xmlError) {
		if len(kids) == 0 || kids[0].Tag != name {
			if optional {
				return nil, nil
			}
			found := "koniec dokumentu"
			if len(kids) > 0 {
				found = kids[0].Tag
			}
			return nil, xsdError("Oczekiwano elementu %s, otrzymano %s.", name, found)
		}
		e := kids[0]
		kids = kids[1:]
		return e, nil
	}
	el, xe := next("Challenge", false)
	if xe != nil {
		return nil, xe
	}
	req.challenge = strings.TrimSpace(el.Text())
	if !isChallenge(req.challenge) {
		return nil, xsdError("Element Challenge ma nieprawidłowy format.")
	}
	if el, xe = next("ContextIdentifier", false); xe != nil {
		return nil, xe
	}
	ctxKids := el.ChildElements()
	if len(ctxKids) != 1 || ctxKids[0].NamespaceURI() != ns {
		return nil, xsdError("ContextIdentifier musi zawierać dokładnie jeden identyfikator.")
	}
	switch t := ctxKids[0].Tag; t {
	case "Nip", "InternalId", "NipVatUe", "PeppolId":
		req.ctx = ctxID{Type: t, Value: ctxKids[0].Text()}
	default:
		return nil, xsdError("Nieoczekiwany element ContextIdentifier/%s.", t)
	}
	if err := checkContextPattern(req.ctx); err != nil {
		return nil, xsdError("%v", err)
	}
	if el, xe = next("SubjectIdentifierType", false); xe != nil {
		return nil, xe
	}
	req.subjectType = strings.TrimSpace(el.Text())
	if req.subjectType != "certificateSubject" && req.subjectType != "certificateFingerprint" {
		return nil, xsdError("Nieprawidłowa wartość SubjectIdentifierType %q.", req.subjectType)
	}
	if el, xe = next("AuthorizationPolicy", true); xe != nil {
		return nil, xe
	}
	if el != nil {
		ips := el.ChildElements()
		if len(ips) != 1 || ips[0].Tag != "AllowedIps" || ips[0].NamespaceURI() != ns {
			return nil, xsdError("AuthorizationPolicy musi zawierać element AllowedIps.")
		}
		a := &ksef.AllowedIps{}
		order := map[string]int{"Ip4Address": 0, "Ip4Range": 1, "Ip4Mask": 2}
		last := 0
		for _, ip := range ips[0].ChildElements() {
			pos, ok := order[ip.Tag]
			if !ok || ip.NamespaceURI() != ns || pos < last {
				return nil, xsdError("Nieoczekiwany element AllowedIps/%s.", ip.Tag)
			}
			last = pos
			v := strings.TrimSpace(ip.Text())
			switch ip.Tag {
			case "Ip4Address":
				a.Ip4Addresses = append(a.Ip4Addresses, v)
			case "Ip4Range":
				a.Ip4Ranges = append(a.Ip4Ranges, v)
			case "Ip4Mask":
				a.Ip4Masks = append(a.Ip4Masks, v)
			}
		}
		if _, err := parseIPPolicy(a); err != nil {
			return nil, xsdError("AllowedIps: %v", err)
		}
		req.allowedIps = a
	}
	if len(kids) > 0 {
		return nil, xsdError("Nieoczekiwany element %s.", kids[0].Tag)
	}
	return req, nil
}
