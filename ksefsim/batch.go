package ksefsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef"
)

// Batch session limits (sesja-wsadowa.md, limity/limity.md).
const (
	// maxBatchParts is the largest number of parts of a package.
	maxBatchParts = 50
	// maxBatchPartPlain is the largest part before encryption (100 MB).
	maxBatchPartPlain = 100_000_000
	// maxBatchPartEncrypted is the largest encrypted part: 100 MB plus a
	// whole block of PKCS#7 padding.
	maxBatchPartEncrypted = maxBatchPartPlain + 16
	// batchPartBudget is the upload time each declared part adds to the
	// session's budget: every part must be uploaded within 20 minutes
	// times the number of declared parts from the opening.
	batchPartBudget = 20 * time.Minute
)

// PartUploadOperation names the pre-signed part uploads of batch sessions
// (served by the simulator itself, outside the API) in [Faults.Fail] and
// [Simulator.Calls]; e.g. Fault{Drop: true} loses an upload,
// Fault{Drop: true, AfterProcessing: true} stores the part but loses the
// answer.
const PartUploadOperation = "PUT " + batchStoragePath

// batchStoragePath is where the simulator serves the pre-signed part
// uploads, outside BasePath as KSeF's blob storage is.
const batchStoragePath = "/storage/batch/"

// batchWritePermissions are the permissions of the batch-session operations
// (PefInvoiceWrite is not among them: PEF invoices go online).
var batchWritePermissions = []string{"InvoiceWrite", "EnforcementOperations"}

// batchInfo is what a batch session has beyond an online one. It lives in
// onlineSession.batch, so that the session read operations (status,
// invoices, UPO) serve both kinds; it is guarded by Simulator.mu.
type batchInfo struct {
	compression ksef.CompressionType
	fileSize    int64
	fileHash    []byte
	offline     bool
	parts       []*batchPart // by ordinal number - 1
	deadline    time.Time    // uploads must start before it

	timedOut   bool // a close came after the deadline (21208)
	abandoned  bool // never closed; its uploads were removed after the deadline
	processing bool // the package is being processed (after close)
	processed  bool // processing finished
	// result is the session's final status when the package itself
	// failed (405, 415, 420, 430, 435, 500); 0 when its invoices decide.
	result ksef.StatusInfo
}

// batchPart is one declared part and, once uploaded, its stored content.
type batchPart struct {
	ordinal  int32
	size     int64
	hash     []byte
	path     string // temporary file with the uploaded bytes; "" before upload
	uploaded int64  // size of the stored upload
}

// batchStatuses are the documented batch session statuses.
var batchStatuses = map[int32]ksef.StatusInfo{
	100: {Code: 100, Description: "Sesja wsadowa rozpoczęta"},
	150: {Code: 150, Description: "Trwa przetwarzanie"},
	200: {Code: 200, Description: "Sesja wsadowa przetworzona pomyślnie"},
	405: {Code: 405, Description: "Błąd weryfikacji poprawności dostarczonych elementów paczki"},
	415: {Code: 415, Description: "Błąd odszyfrowania dostarczonego klucza"},
	420: {Code: 420, Description: "Przekroczony limit faktur w sesji"},
	430: {Code: 430, Description: "Błąd dekompresji pierwotnego archiwum"},
	435: {Code: 435, Description: "Błąd odszyfrowania zaszyfrowanych części archiwum"},
	440: {Code: 440, Description: "Sesja anulowana"},
	445: {Code: 445, Description: "Błąd weryfikacji, brak poprawnych faktur"},
	500: {Code: 500, Description: "Nieznany błąd (500)"},
}

// batchStatus returns the documented batch status code with details.
func batchStatus(code int32, details ...string) ksef.StatusInfo {
	st := batchStatuses[code]
	if len(details) > 0 {
		st.Details = details
	}
	return st
}

const (
	detailUploadTimeout = "Przekroczono czas wysyłki"
	detailNoInvoices    = "Nie przesłano faktur"
)

// batchStatusAt is the status of a batch session at now with the
// processing delay: 100 until closed (440 once the upload budget is over
// without a close), 150 while the package is processed, then the
// package's error or what its invoices decide (200, 445, or 440 for an
// empty package). Callers hold s.mu.
func (sess *onlineSession) batchStatusAt(now time.Time, delay time.Duration) ksef.StatusInfo {
	b := sess.batch
	if sess.keyError {
		return batchStatus(415)
	}
	if b.timedOut {
		return batchStatus(440, detailUploadTimeout)
	}
	if sess.closedAt == nil {
		if !now.Before(b.deadline) {
			if b.anyUploaded() || b.abandoned {
				return batchStatus(440, detailUploadTimeout)
			}
			return batchStatus(440, detailNoInvoices)
		}
		return batchStatus(100)
	}
	if !b.processed || now.Before(sess.processedAt(*sess.closedAt, delay)) {
		return batchStatus(150)
	}
	if b.result.Code != 0 {
		return b.result
	}
	if len(sess.invoices) == 0 {
		return batchStatus(440, detailNoInvoices)
	}
	for _, inv := range sess.invoices {
		if inv.status.Code == 200 {
			return batchStatus(200)
		}
	}
	return batchStatus(445)
}

func (b *batchInfo) anyUploaded() bool {
	for _, p := range b.parts {
		if p.path != "" {
			return true
		}
	}
	return false
}

// removeParts deletes the stored uploads. Callers hold s.mu.
func (b *batchInfo) removeParts() {
	for _, p := range b.parts {
		if p.path != "" {
			_ = os.Remove(p.path)
			p.path = ""
		}
	}
}

// handleOpenBatch serves POST /sessions/batch.
func (s *Simulator) handleOpenBatch(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, batchWritePermissions...)
	if e != nil {
		return e
	}
	var req ksef.OpenBatchSessionRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	form, ok := lookupForm(req.FormCode)
	if !ok || form.pef {
		return validation("formCode: nieobsługiwany kod formularza sesji wsadowej (%q, %q, %q).",
			req.FormCode.SystemCode, req.FormCode.SchemaVersion, req.FormCode.Value)
	}
	bf := req.BatchFile
	compression := bf.CompressionType
	switch compression {
	case "":
		compression = ksef.CompressionTypeZip
	case ksef.CompressionTypeZip, ksef.CompressionTypeTarGz:
	default:
		return validation("batchFile.compressionType: dozwolone wartości Zip, TarGz.")
	}
	if bf.FileSize < 1 || bf.FileSize > 5_000_000_000 {
		return validation("batchFile.fileSize: wartość musi być z zakresu 1-5000000000.")
	}
	if len(bf.FileHash) != sha256.Size {
		return validation("batchFile.fileHash: wymagany skrót SHA-256 (32 bajty).")
	}
	n := len(bf.FileParts)
	if n == 0 {
		return validation("batchFile.fileParts: wymagana co najmniej jedna część.")
	}
	if n > maxBatchParts {
		return badRequest(21161, "Liczba części pakietu ("+strconv.Itoa(n)+") przekracza dopuszczalne "+strconv.Itoa(maxBatchParts)+".")
	}
	parts := make([]*batchPart, n)
	var total int64
	for _, fp := range bf.FileParts {
		if fp.OrdinalNumber < 1 || int(fp.OrdinalNumber) > n || parts[fp.OrdinalNumber-1] != nil {
			return validation("batchFile.fileParts: numery porządkowe części muszą być kolejnymi liczbami 1-%d bez powtórzeń.", n)
		}
		if len(fp.FileHash) != sha256.Size {
			return validation("batchFile.fileParts[%d].fileHash: wymagany skrót SHA-256 (32 bajty).", fp.OrdinalNumber)
		}
		if fp.FileSize < 1 || fp.FileSize > maxBatchPartEncrypted || fp.FileSize%16 != 0 {
			return badRequest(21157, fmt.Sprintf("Rozmiar części '%d' (%d B) jest nieprawidłowy: część przed zaszyfrowaniem może mieć najwyżej %d B, a zaszyfrowana jest wielokrotnością 16 B.", fp.OrdinalNumber, fp.FileSize, maxBatchPartPlain))
		}
		total += fp.FileSize
		parts[fp.OrdinalNumber-1] = &batchPart{ordinal: fp.OrdinalNumber, size: fp.FileSize, hash: fp.FileHash}
	}
	// Each encrypted part is its plain part plus 1-16 bytes of padding.
	if total < bf.FileSize || total > bf.FileSize+16*int64(n) {
		return badRequest(21157, fmt.Sprintf("Suma rozmiarów części (%d B) nie odpowiada rozmiarowi paczki (%d B).", total, bf.FileSize))
	}
	if e := checkEncryption(req.Encryption); e != nil {
		return e
	}
	now := s.now()
	sess := &onlineSession{
		ref:     newRef(now, KindBatch),
		form:    form,
		created: now,
		batch: &batchInfo{
			compression: compression,
			fileSize:    bf.FileSize,
			fileHash:    bf.FileHash,
			offline:     req.OfflineMode != nil && *req.OfflineMode,
			parts:       parts,
			deadline:    now.Add(batchPartBudget * time.Duration(n)),
		},
	}
	sess.validUntil = sess.batch.deadline
	if e := s.setSessionKey(sess, req.Encryption); e != nil {
		return e
	}
	out := ksef.OpenBatchSessionResponse{ReferenceNumber: sess.ref}
	se := strconv.FormatInt(sess.batch.deadline.Unix(), 10)
	for _, pt := range parts {
		out.PartUploadRequests = append(out.PartUploadRequests, ksef.PartUploadRequest{
			OrdinalNumber: pt.ordinal,
			Method:        http.MethodPut,
			URL:           s.presignUpload(r, sess.ref, pt.ordinal, se),
			Headers:       map[string]any{"x-ms-blob-type": "BlockBlob"},
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepUploads(now)
	s.addSession(r, p, sess)
	writeOK(w, http.StatusCreated, out)
	return nil
}

// sweepUploads removes the stored parts of batch sessions whose upload
// time ended without a close (they can no longer be closed), so that a
// long-running simulator does not keep abandoned uploads. Callers hold
// s.mu.
func (s *Simulator) sweepUploads(now time.Time) {
	for _, sess := range s.st.online().order {
		if b := sess.batch; b != nil && sess.closedAt == nil && !now.Before(b.deadline) && b.anyUploaded() {
			b.removeParts()
			b.abandoned = true
		}
	}
}

// presignUpload returns the pre-signed upload URL of part ordinal of
// session ref, valid until the Unix time se, on the host of r.
func (s *Simulator) presignUpload(r *http.Request, ref string, ordinal int32, se string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := batchStoragePath + strings.ToLower(ref) + "/part" + strconv.Itoa(int(ordinal)) + ".aes"
	q := url.Values{"sv": {"2025-01-05"}, "se": {se}, "sr": {"b"}, "sp": {"cw"}, "sig": {s.uploadSig(path, se)}}
	return scheme + "://" + r.Host + path + "?" + q.Encode()
}

func (s *Simulator) uploadSig(path, se string) string {
	m := hmac.New(sha256.New, s.jwtKey)
	fmt.Fprintf(m, "PUT\n%s\n%s", path, se)
	return hex.EncodeToString(m.Sum(nil))
}

// registerBatchStorage installs the pre-signed part upload endpoint.
func (s *Simulator) registerBatchStorage() {
	s.mux.HandleFunc("PUT "+batchStoragePath+"{session}/{file}", s.handlePartUpload)
}

// storageError answers a storage request as blob storage does: a status
// and a short plain-text reason (never the URL or its signature).
func storageError(w http.ResponseWriter, status int, reason string) {
	http.Error(w, reason, status)
}

// handlePartUpload serves the pre-signed part uploads: a valid signature,
// a request started before the upload deadline (403 otherwise), the
// x-ms-blob-type header, no Authorization header, and a body no larger
// than the declared part. It answers 201 and keeps the part in a
// temporary file; a repeated upload replaces it.
func (s *Simulator) handlePartUpload(w http.ResponseWriter, r *http.Request) {
	s.count(PartUploadOperation)
	inner := http.HandlerFunc(s.storePart)
	if f, ok := s.faults.take(PartUploadOperation); ok {
		s.applyFault(w, r, f, inner)
		return
	}
	inner.ServeHTTP(w, r)
}

func (s *Simulator) storePart(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	se, sig := r.URL.Query().Get("se"), r.URL.Query().Get("sig")
	exp, err := strconv.ParseInt(se, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.uploadSig(r.URL.Path, se))) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed: the signature of the URL is not valid.")
		return
	}
	if !now.Before(time.Unix(exp, 0)) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed: the URL has expired (upload time exceeded).")
		return
	}
	if r.Header.Get("Authorization") != "" {
		storageError(w, http.StatusBadRequest, "InvalidAuthenticationInfo: a pre-signed URL takes no Authorization header.")
		return
	}
	if r.Header.Get("x-ms-blob-type") != "BlockBlob" {
		storageError(w, http.StatusBadRequest, "MissingRequiredHeader: x-ms-blob-type: BlockBlob is required.")
		return
	}
	ref := strings.ToUpper(r.PathValue("session"))
	file := r.PathValue("file")
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(file, "part"), ".aes"))
	if err != nil {
		storageError(w, http.StatusNotFound, "BlobNotFound")
		return
	}
	s.mu.Lock()
	sess := s.st.online().sessions[ref]
	var part *batchPart
	if sess != nil && sess.batch != nil && n >= 1 && n <= len(sess.batch.parts) {
		part = sess.batch.parts[n-1]
	}
	open := sess != nil && sess.batch != nil && sess.closedAt == nil && !sess.batch.timedOut
	s.mu.Unlock()
	if part == nil {
		storageError(w, http.StatusNotFound, "BlobNotFound")
		return
	}
	if !open {
		storageError(w, http.StatusForbidden, "AuthorizationFailure: the session accepts no more uploads.")
		return
	}
	if r.ContentLength > part.size {
		storageError(w, http.StatusBadRequest, "InvalidInput: the part is larger than declared.")
		return
	}
	f, err := os.CreateTemp("", "ksefsim-part-*")
	if err != nil {
		storageError(w, http.StatusInternalServerError, "InternalError")
		return
	}
	written, cerr := copyLimited(f, r.Body, part.size)
	if err := f.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil {
		_ = os.Remove(f.Name())
		if cerr == errTooLarge {
			storageError(w, http.StatusBadRequest, "InvalidInput: the part is larger than declared.")
		}
		// A broken upload stores nothing (the client saw the failure).
		return
	}
	s.mu.Lock()
	if sess.closedAt != nil || sess.batch.timedOut {
		s.mu.Unlock()
		_ = os.Remove(f.Name())
		storageError(w, http.StatusForbidden, "AuthorizationFailure: the session accepts no more uploads.")
		return
	}
	if part.path != "" {
		_ = os.Remove(part.path)
	}
	part.path, part.uploaded = f.Name(), written
	sess.updated = now
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// handleCloseBatch serves POST /sessions/batch/{referenceNumber}/close:
// after the upload deadline the session is cancelled (21208); a missing
// part is 21205 and a part of another size than declared 21157 (the
// session stays open for the missing uploads); otherwise the package is
// processed in the background (status 150).
func (s *Simulator) handleCloseBatch(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, batchWritePermissions, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, e := s.sessionFor(p, ref)
	if e == nil && (sess.batch == nil || sess.creator != normSubject(p.op.subject)) {
		e = badRequest(21173, "Sesja o numerze referencyjnym "+ref+" nie została znaleziona.")
	}
	if e != nil {
		return e
	}
	b := sess.batch
	if sess.closedAt != nil || b.timedOut || sess.keyError {
		st := sess.batchStatusAt(now, s.cfg.processingDelay)
		return badRequest(21180, "Status sesji "+strconv.Itoa(int(st.Code))+" uniemożliwia jej zamknięcie.")
	}
	if !now.Before(b.deadline) {
		b.timedOut = true
		sess.updated = now
		b.removeParts()
		return badRequest(21208, "Sesja anulowana, przekroczony czas wysyłki.")
	}
	for _, pt := range b.parts {
		if pt.path == "" {
			return badRequest(21205, fmt.Sprintf("Nie przesłano zadeklarowanej '%d' części pliku.", pt.ordinal))
		}
	}
	for _, pt := range b.parts {
		if pt.uploaded != pt.size {
			return badRequest(21157, fmt.Sprintf("Zadeklarowany rozmiar części '%d' nie zgadza się z rzeczywistym.", pt.ordinal))
		}
	}
	sess.closedAt = &now
	sess.updated = now
	b.processing = true
	job := &batchJob{
		form:        sess.form,
		key:         sess.key,
		compression: b.compression,
		fileSize:    b.fileSize,
		fileHash:    b.fileHash,
		limit:       s.invoiceLimit(),
	}
	for _, pt := range b.parts {
		job.parts = append(job.parts, batchPartFile{ordinal: pt.ordinal, path: pt.path, hash: pt.hash})
	}
	go s.runBatch(sess, job)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runBatch processes a closed package and registers its invoices as an
// online session's are (acceptInvoice: KSeF numbers, duplicates, the
// accepted-invoice store).
func (s *Simulator) runBatch(sess *onlineSession, job *batchJob) {
	res := job.run()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := sess.batch
	b.processing, b.processed = false, true
	b.removeParts()
	closed := *sess.closedAt
	ready := closed.Add(s.cfg.processingDelay)
	if res.status.Code != 0 {
		b.result = res.status
		return
	}
	st := s.st.online()
	for _, d := range res.invoices {
		inv := &sessionInvoice{
			ref:      newRef(closed, KindInvoice),
			ordinal:  len(sess.invoices) + 1,
			session:  sess,
			hash:     d.hash,
			fileName: d.name,
			sentAt:   sess.created, // invoicingDate: the session's opening
			readyAt:  ready,
			offline:  b.offline,
			status:   d.status,
		}
		if d.facts != nil {
			inv.invoiceNumber = d.facts.number
			inv.sellerNIP = d.facts.sellerNIP
			inv.issueDate = d.facts.issueDate
		}
		if inv.status.Code == 0 && d.facts != nil && d.facts.hasAttachment && !s.perms().attachments[contextNIP(sess.ctx)].allowedAt(closed) {
			// No consent to attachments (POST /testdata/attachment): 415.
			inv.status = invoiceStatus(415)
			inv.status.Details = []string{"Brak zgody na przesyłanie faktur z załącznikiem dla NIP " + contextNIP(sess.ctx) + "."}
		}
		if inv.status.Code == 0 {
			inv.status = s.acceptInvoice(sess, inv, d.facts)
		}
		sess.invoices = append(sess.invoices, inv)
		st.invoices[inv.ref] = inv
	}
	sess.updated = closed
}

// isBatch reports whether sess is a batch session.
func isBatch(sess *onlineSession) bool { return sess.batch != nil }

// sessionKindMatches reports whether sess is of the session type typ of
// GET /sessions ("Online" or "Batch").
func sessionKindMatches(sess *onlineSession, typ string) bool {
	return isBatch(sess) == (typ == string(ksef.SessionTypeBatch))
}

// equalHash compares two SHA-256 digests.
func equalHash(a, b []byte) bool { return bytes.Equal(a, b) }
