package ksefsim

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strconv"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
)

// Online session limits (sesja-interaktywna.md, limity/limity.md).
const (
	// onlineSessionLifetime is how long an online session stays open.
	onlineSessionLifetime = 12 * time.Hour
	// DefaultSessionInvoiceLimit is the number of invoices KSeF accepts in
	// one session (21155 beyond it); see [WithSessionInvoiceLimit].
	DefaultSessionInvoiceLimit = 10000
	// maxInvoiceSize is the largest invoice without attachments (1 MB).
	maxInvoiceSize = 1_000_000
	// maxInvoiceSizeAttachments is the largest invoice with attachments (3 MB).
	maxInvoiceSizeAttachments = 3_000_000
	// upoPageSize is the number of documents on one session UPO page.
	upoPageSize = 10000
	// upoURLLifetime is the validity of pre-signed UPO download URLs.
	upoURLLifetime = 72 * time.Hour
)

// WithSessionInvoiceLimit sets how many invoices one session accepts
// (default [DefaultSessionInvoiceLimit]); the next one is refused with
// 400/21155. Tests use a small limit to reach it quickly.
func WithSessionInvoiceLimit(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.invoiceLimit = n
		}
	}
}

func (s *Simulator) invoiceLimit() int {
	if s.cfg.invoiceLimit > 0 {
		return s.cfg.invoiceLimit
	}
	return DefaultSessionInvoiceLimit
}

// writePermissions are the permissions of the online-session operations.
var writePermissions = []string{"InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations"}

// readPermissions are the permissions of the session read operations.
var readPermissions = []string{"InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations"}

// handleOpenOnline serves POST /sessions/online.
func (s *Simulator) handleOpenOnline(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, writePermissions...)
	if e != nil {
		return e
	}
	var req ksef.OpenOnlineSessionRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	form, ok := lookupForm(req.FormCode)
	if !ok {
		return validation("formCode: nieobsługiwany kod formularza (%q, %q, %q).",
			req.FormCode.SystemCode, req.FormCode.SchemaVersion, req.FormCode.Value)
	}
	if e := checkEncryption(req.Encryption); e != nil {
		return e
	}
	now := s.now()
	sess := &onlineSession{
		ref:        newRef(now, KindOnline),
		form:       form,
		created:    now,
		validUntil: now.Add(onlineSessionLifetime),
	}
	if e := s.setSessionKey(sess, req.Encryption); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addSession(r, p, sess)
	writeOK(w, http.StatusCreated, ksef.OpenOnlineSessionResponse{ReferenceNumber: sess.ref, ValidUntil: sess.validUntil})
	return nil
}

// checkEncryption checks the encryption block of a session opening (online
// or batch) before its key is decrypted.
func checkEncryption(enc ksef.EncryptionInfo) *apiError {
	if len(enc.InitializationVector) != envelope.IVSize {
		return validation("encryption.initializationVector: wymagane %d bajtów.", envelope.IVSize)
	}
	if len(enc.EncryptedSymmetricKey) == 0 {
		return validation("encryption.encryptedSymmetricKey: wartość wymagana.")
	}
	return nil
}

// setSessionKey decrypts the symmetric key of a session being opened. An
// unknown public key refuses the opening (21470); a key that does not
// decrypt opens the session anyway, as KSeF does, which then reports it in
// the session status (415).
func (s *Simulator) setSessionKey(sess *onlineSession, enc ksef.EncryptionInfo) *apiError {
	raw, err := s.decryptSymmetricKey(enc.PublicKeyID, enc.EncryptedSymmetricKey)
	switch {
	case err == errUnknownKey:
		return badRequest(21470, "Klucz o identyfikatorze "+enc.PublicKeyID+" nie jest wspierany.")
	case err != nil:
		sess.keyError = true
	default:
		if k, kerr := envelope.KeyFromBytes(raw, enc.InitializationVector); kerr != nil {
			sess.keyError = true
		} else {
			sess.key = k
		}
	}
	return nil
}

// addSession stores a session just opened (online or batch) by the caller
// p of request r; callers hold s.mu.
func (s *Simulator) addSession(r *http.Request, p *principal, sess *onlineSession) {
	sess.ctx = p.ctx()
	sess.creator = normSubject(p.op.subject)
	sess.authRef = p.op.ref
	sess.tokenRef = p.op.tokenRef
	sess.authDocHash = p.op.docHash
	sess.enforcement = p.hasAny("EnforcementOperations")
	sess.subjectValidation = hasFeature(r.Header, featureSubjectValidation)
	st := s.st.online()
	st.sessions[sess.ref] = sess
	st.order = append(st.order, sess)
}

// sessionFor finds a session of the caller's context; callers hold s.mu.
func (s *Simulator) sessionFor(p *principal, ref string) (*onlineSession, *apiError) {
	sess := s.st.online().sessions[ref]
	if sess == nil || sess.ctx != p.ctx() {
		return nil, badRequest(21173, "Sesja o numerze referencyjnym "+ref+" nie została odnaleziona.")
	}
	return sess, nil
}

// ownSessionFor finds a session the caller opened, for sending and closing:
// a session of another subject of the same context is not found (21173),
// as GET /sessions shows a subject without Introspection only the sessions
// it opened. A batch session is not found either (the online operations
// do not apply to it). Callers hold s.mu.
func (s *Simulator) ownSessionFor(p *principal, ref string) (*onlineSession, *apiError) {
	sess, e := s.sessionFor(p, ref)
	if e == nil && (sess.creator != normSubject(p.op.subject) || sess.batch != nil) {
		return nil, badRequest(21173, "Sesja o numerze referencyjnym "+ref+" nie została odnaleziona.")
	}
	return sess, e
}

// handleSendInvoice serves POST /sessions/online/{referenceNumber}/invoices.
func (s *Simulator) handleSendInvoice(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, writePermissions, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	var req ksef.SendInvoiceRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if len(req.InvoiceHash) != sha256.Size || len(req.EncryptedInvoiceHash) != sha256.Size {
		return validation("invoiceHash, encryptedInvoiceHash: wymagany skrót SHA-256 (32 bajty).")
	}
	if req.InvoiceSize < 1 || req.EncryptedInvoiceSize < 1 {
		return validation("invoiceSize, encryptedInvoiceSize: wartość musi być większa od 0.")
	}
	if req.InvoiceSize > maxInvoiceSizeAttachments {
		return validation("invoiceSize: rozmiar faktury przekracza dopuszczalny limit %d B.", maxInvoiceSizeAttachments)
	}
	if req.HashOfCorrectedInvoice != nil && len(req.HashOfCorrectedInvoice) != sha256.Size {
		return validation("hashOfCorrectedInvoice: wymagany skrót SHA-256 (32 bajty).")
	}
	if e := correctionNeedsOffline(&req); e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	sess, e := s.ownSessionFor(p, ref)
	if e == nil {
		e = s.checkSendable(sess, now)
	}
	var key *envelope.Key
	if e == nil {
		key = sess.key
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}

	// The encrypted content must match what the request declares.
	if int64(len(req.EncryptedInvoiceContent)) != req.EncryptedInvoiceSize {
		return badRequest(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
	}
	if h := sha256.Sum256(req.EncryptedInvoiceContent); !bytes.Equal(h[:], req.EncryptedInvoiceHash) {
		return badRequest(21403, "Skrót treści nie zgadza się ze skrótem pliku.")
	}
	inv := &sessionInvoice{
		hash:    req.InvoiceHash,
		sentAt:  now,
		readyAt: now.Add(s.cfg.processingDelay),
		offline: req.OfflineMode != nil && *req.OfflineMode,
	}
	plain, derr := key.Decrypt(req.EncryptedInvoiceContent)
	var facts *invoiceFacts
	if derr != nil {
		inv.status = invoiceStatus(435)
	} else {
		if int64(len(plain)) != req.InvoiceSize {
			return badRequest(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
		}
		if h := sha256.Sum256(plain); !bytes.Equal(h[:], req.InvoiceHash) {
			return badRequest(21403, "Skrót treści nie zgadza się ze skrótem pliku.")
		}
		facts, inv.status = verifyInvoice(sess.form, plain)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The session may have changed while the invoice was verified.
	if e := s.checkSendable(sess, now); e != nil {
		return e
	}
	if e := s.checkCorrection(sess, inv, req.HashOfCorrectedInvoice); e != nil {
		return e
	}
	inv.ref = newRef(now, KindInvoice)
	inv.ordinal = len(sess.invoices) + 1
	inv.session = sess
	if facts != nil {
		inv.invoiceNumber = facts.number
		inv.sellerNIP = facts.sellerNIP
		inv.issueDate = facts.issueDate
	}
	if inv.status.Code == 0 {
		inv.status = s.acceptInvoice(sess, inv, facts)
	}
	sess.invoices = append(sess.invoices, inv)
	sess.updated = now
	s.st.online().invoices[inv.ref] = inv
	writeOK(w, http.StatusAccepted, ksef.SendInvoiceResponse{ReferenceNumber: inv.ref})
	return nil
}

// checkSendable reports why an invoice cannot be sent to sess now (21180,
// 21184, 21155); callers hold s.mu.
func (s *Simulator) checkSendable(sess *onlineSession, now time.Time) *apiError {
	if st := sess.status(now); st.Code != 100 {
		return badRequest(21180, "Status sesji "+strconv.Itoa(int(st.Code))+" uniemożliwia wysyłkę faktur.")
	}
	if sess.maintenance {
		return badRequest(21184, "Trwają prace serwisowe i sesja "+sess.ref+" jest tymczasowo niedostępna. Spróbuj ponownie później lub otwórz nową sesję, aby wysłać kolejne faktury.")
	}
	if limit := s.sessionInvoiceLimit(sess.ctx); len(sess.invoices) >= limit { // limits.go
		return badRequest(21155, "Sesja o numerze referencyjnym "+sess.ref+" osiągnęła dozwolony limit liczby faktur "+strconv.Itoa(limit)+".")
	}
	return nil
}

// acceptInvoice applies the rules that need the simulator's state to a
// schema-valid invoice (seller and context, issue date, duplicates) and, when
// it passes, assigns its KSeF number. Callers hold s.mu.
func (s *Simulator) acceptInvoice(sess *onlineSession, inv *sessionInvoice, f *invoiceFacts) ksef.InvoiceStatusInfo {
	if sess.subjectValidation {
		if bad := f.invalidIdentifiers(); len(bad) > 0 {
			st := invoiceStatus(450)
			st.Details = bad
			return st
		}
	}
	if !sess.form.pef && !sess.enforcement {
		if nip := contextNIP(sess.ctx); (nip == "" || nip != f.sellerNIP) && !s.authorizedIssuer(sess, f.sellerNIP) {
			st := invoiceStatus(410)
			st.Details = []string{"NIP sprzedawcy (Podmiot1) " + f.sellerNIP + " nie odpowiada kontekstowi " + sess.ctx.Value + "."}
			return st
		}
	}
	accepted := inv.readyAt.In(warsaw())
	acceptedDay := time.Date(accepted.Year(), accepted.Month(), accepted.Day(), 0, 0, 0, 0, time.UTC)
	if !f.issueDate.IsZero() && f.issueDate.After(acceptedDay) {
		st := invoiceStatus(450)
		st.Details = []string{"Data wystawienia faktury (" + f.issueDate.Format(time.DateOnly) + ") jest późniejsza niż data przyjęcia faktury (" + acceptedDay.Format(time.DateOnly) + ")."}
		return st
	}
	st := s.st.online()
	key := dupKey{seller: f.sellerNIP, kind: f.kind, number: f.number}
	if orig := st.accepted[key]; orig != nil {
		out := invoiceStatus(440)
		out.Details = []string{"Duplikat faktury. Faktura o numerze KSeF: " + orig.ksefNumber +
			" została już prawidłowo przesłana do systemu w sesji: " + orig.session.ref}
		out.Extensions = map[string]any{
			"originalSessionReferenceNumber": orig.session.ref,
			"originalKsefNumber":             orig.ksefNumber,
		}
		return out
	}
	inv.ksefNumber = newKSeFNumber(sellerForNumber(f, sess.ctx), accepted)
	st.accepted[key] = inv
	st.byKSeF[inv.ksefNumber] = inv
	s.indexSessionInvoice(sess.form, sess.ctx, inv, f)
	return invoiceStatus(200)
}

// inSession runs fn with s.mu held on the caller's session ref and the
// time the request came in; a session of another context is not found.
func (s *Simulator) inSession(p *principal, ref string, fn func(sess *onlineSession, now time.Time) *apiError) *apiError {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, e := s.sessionFor(p, ref)
	if e != nil {
		return e
	}
	return fn(sess, now)
}
