package ksefsim

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/upo"
	"github.com/ksef2/ksef/xades"
)

// upoStoragePath is where the simulator serves pre-signed UPO downloads,
// outside BasePath as KSeF's storage URLs are.
const upoStoragePath = "/storage/upo/"

// The UPO signing key is generated once per process (RSA generation is
// slow); each simulator issues its own certificate for it.
var (
	upoKeyOnce sync.Once
	upoKey     *rsa.PrivateKey
)

// upoSigner returns the key and certificate the simulator signs UPOs with.
// Callers hold s.mu.
func (s *Simulator) upoSigner() (*rsa.PrivateKey, *x509.Certificate) {
	upoKeyOnce.Do(func() { upoKey = mustRSA() })
	st := s.st.online()
	if st.upoCert == nil {
		from := s.now().Add(-24 * time.Hour).Truncate(time.Second)
		der := selfSignedMF("UPO", "UPO", upoKey, from, from.AddDate(3, 0, 0),
			x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment)
		var err error
		st.upoCert, err = x509.ParseCertificate(der)
		if err != nil {
			panic("ksefsim: cannot parse the UPO certificate: " + err.Error())
		}
	}
	return upoKey, st.upoCert
}

// UPOCertificate returns the certificate whose key signs the simulator's
// UPOs (its stand-in for the Ministry of Finance's UPO certificate).
func (s *Simulator) UPOCertificate() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c := s.upoSigner()
	return c
}

// buildUPO builds and signs a UPO for the given invoices of sess (page is
// nil for the UPO of a single invoice). Callers hold s.mu.
func (s *Simulator) buildUPO(sess *onlineSession, invs []*sessionInvoice, page *upo.PageInfo) ([]byte, error) {
	u := upo.UPO{
		ReceivingEntity:        "Ministerstwo Finansów",
		SessionReferenceNumber: sess.ref,
		Authentication: upo.Authentication{
			Context: ident.Identifier{Type: ident.Type(sess.ctx.Type), Value: sess.ctx.Value},
		},
		Page:                 page,
		LogicalStructureName: sess.form.structure,
		FormCode:             sess.form.code.SystemCode,
	}
	switch {
	case sess.tokenRef != "":
		u.Authentication.KSeFTokenReferenceNumber = sess.tokenRef
	case sess.authDocHash != "":
		u.Authentication.AuthenticationDocumentHash = sess.authDocHash
	default:
		u.Authentication.AuthenticationDocumentHash = envelope.SHA256Base64([]byte(sess.authRef))
	}
	for _, inv := range invs {
		seller := inv.sellerNIP
		if ident.NIP(seller).Validate() != nil {
			seller = inv.ksefNumber[:10]
		}
		mode := upo.ModeOnline
		if inv.mode() == "Offline" {
			mode = upo.ModeOffline
		}
		u.Documents = append(u.Documents, upo.Document{
			SellerNIP:            seller,
			KSeFNumber:           inv.ksefNumber,
			InvoiceNumber:        inv.invoiceNumber,
			IssueDate:            inv.issueDate,
			SubmittedAt:          inv.sentAt.In(warsaw()).Truncate(time.Millisecond),
			KSeFNumberAssignedAt: inv.readyAt.In(warsaw()).Truncate(time.Millisecond),
			DocumentHash:         base64.StdEncoding.EncodeToString(inv.hash),
			Mode:                 mode,
		})
	}
	doc, err := u.Marshal()
	if err != nil {
		return nil, err
	}
	key, cert := s.upoSigner()
	return xades.Sign(doc, cert, key, &xades.SignOptions{SigningTime: s.now()})
}

// invoiceUPO returns the (cached) UPO of an accepted invoice. Callers hold
// s.mu.
func (s *Simulator) invoiceUPO(inv *sessionInvoice) ([]byte, error) {
	if inv.upoXML == nil {
		b, err := s.buildUPO(inv.session, []*sessionInvoice{inv}, nil)
		if err != nil {
			return nil, err
		}
		inv.upoXML = b
	}
	return inv.upoXML, nil
}

// pageUPO returns the (cached) UPO page of a processed session. Callers
// hold s.mu.
func (s *Simulator) pageUPO(sess *onlineSession, pg *upoPage) ([]byte, error) {
	if pg.xml == nil {
		ok := sess.successful()
		info := &upo.PageInfo{
			Page:           pg.number,
			PageCount:      len(sess.pages),
			FirstDocument:  pg.first + 1,
			EndDocument:    pg.end,
			TotalDocuments: len(ok),
		}
		b, err := s.buildUPO(sess, ok[pg.first:pg.end], info)
		if err != nil {
			return nil, err
		}
		pg.xml = b
	}
	return pg.xml, nil
}

// writeUPO writes a UPO document with its x-ms-meta-hash header.
func writeUPO(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-meta-hash", envelope.SHA256Base64(doc))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}

func upoNotFound(detail string) *apiError { return badRequest(21178, detail) }

// writeInvoiceUPO answers with the UPO of one invoice.
func (s *Simulator) writeInvoiceUPO(w http.ResponseWriter, inv *sessionInvoice) *apiError {
	doc, err := s.invoiceUPO(inv)
	if err != nil {
		return &apiError{status: http.StatusInternalServerError, detail: "UPO generation failed."}
	}
	writeUPO(w, doc)
	return nil
}

// handleInvoiceUPOByKSeF serves GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo.
func (s *Simulator) handleInvoiceUPOByKSeF(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, readPermissions...)
	if e != nil {
		return e
	}
	ref, num := r.PathValue("referenceNumber"), r.PathValue("ksefNumber")
	if e := checkRef(ref); e != nil {
		return e
	}
	if _, err := ident.ParseKSeFNumber(num); err != nil {
		return validation("ksefNumber: nieprawidłowy numer KSeF.")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.st.online().sessions[ref]
	inv := s.st.online().byKSeF[num]
	if sess == nil || sess.ctx != p.ctx() || inv == nil || inv.session != sess || !inv.done(now) {
		return upoNotFound("UPO o numerze KSeF " + num + " i numerze referencyjnym sesji " + ref + " nie zostało znalezione.")
	}
	return s.writeInvoiceUPO(w, inv)
}

// handleInvoiceUPOByRef serves GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo.
func (s *Simulator) handleInvoiceUPOByRef(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, readPermissions, "referenceNumber", "invoiceReferenceNumber")
	if e != nil {
		return e
	}
	ref, invRef := refs[0], refs[1]
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.st.online().sessions[ref]
	inv := s.st.online().invoices[invRef]
	if sess == nil || sess.ctx != p.ctx() || inv == nil || inv.session != sess || !inv.done(now) || inv.status.Code != 200 {
		return upoNotFound("UPO faktury o numerze referencyjnym " + invRef + " w sesji " + ref + " nie zostało znalezione.")
	}
	return s.writeInvoiceUPO(w, inv)
}

// handleSessionUPO serves GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}.
func (s *Simulator) handleSessionUPO(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, readPermissions, "referenceNumber", "upoReferenceNumber")
	if e != nil {
		return e
	}
	ref, upoRef := refs[0], refs[1]
	return s.inSession(p, ref, func(sess *onlineSession, now time.Time) *apiError {
		s.sessionStatusAt(sess, now)
		for _, pg := range sess.pages {
			if pg.ref == upoRef {
				doc, err := s.pageUPO(sess, pg)
				if err != nil {
					return &apiError{status: http.StatusInternalServerError, detail: "UPO generation failed."}
				}
				writeUPO(w, doc)
				return nil
			}
		}
		return upoNotFound("UPO o numerze referencyjnym " + upoRef + " dla sesji " + ref + " nie zostało znalezione.")
	})
}

// presign returns a pre-signed URL for downloading the UPO named by name
// (a UPO page or an invoice reference number) of session ref, valid until
// exp. It is served by the simulator itself, on the host of r, without
// authorization.
func (s *Simulator) presign(r *http.Request, ref, name string, exp time.Time) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := upoStoragePath + strings.ToLower(ref) + "/" + name + ".xml"
	se := strconv.FormatInt(exp.Unix(), 10)
	q := url.Values{"sv": {"2025-01-05"}, "se": {se}, "sr": {"b"}, "sp": {"r"}, "sig": {s.storageSig(path, se)}}
	return scheme + "://" + r.Host + path + "?" + q.Encode()
}

func (s *Simulator) storageSig(path, se string) string {
	m := hmac.New(sha256.New, s.jwtKey)
	fmt.Fprintf(m, "GET\n%s\n%s", path, se)
	return hex.EncodeToString(m.Sum(nil))
}

// handleUPODownload serves the pre-signed UPO URLs: no Authorization, a
// valid signature and expiry required (403 otherwise, as blob storage does).
func (s *Simulator) handleUPODownload(w http.ResponseWriter, r *http.Request) {
	se, sig := r.URL.Query().Get("se"), r.URL.Query().Get("sig")
	exp, err := strconv.ParseInt(se, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.storageSig(r.URL.Path, se))) {
		http.Error(w, "AuthenticationFailed: the signature of the URL is not valid.", http.StatusForbidden)
		return
	}
	now := s.now()
	if now.After(time.Unix(exp, 0)) {
		http.Error(w, "AuthenticationFailed: the URL has expired.", http.StatusForbidden)
		return
	}
	ref := strings.ToUpper(r.PathValue("session"))
	name := strings.TrimSuffix(r.PathValue("file"), ".xml")
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st.online()
	sess := st.sessions[ref]
	if sess == nil {
		http.Error(w, "BlobNotFound", http.StatusNotFound)
		return
	}
	var doc []byte
	if inv := st.invoices[name]; inv != nil && inv.session == sess && inv.done(now) && inv.status.Code == 200 {
		doc, err = s.invoiceUPO(inv)
	} else {
		s.sessionStatusAt(sess, now)
		for _, pg := range sess.pages {
			if pg.ref == name {
				doc, err = s.pageUPO(sess, pg)
			}
		}
	}
	if err != nil || doc == nil {
		http.Error(w, "BlobNotFound", http.StatusNotFound)
		return
	}
	writeUPO(w, doc)
}

// registerStorage installs the pre-signed download endpoints.
func (s *Simulator) registerStorage() {
	s.mux.HandleFunc("GET "+upoStoragePath+"{session}/{file}", s.handleUPODownload)
}
