package ksefsim_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/ksefsim"
)

// rawPackage is a batch package built by hand: the plain archive and its
// encrypted parts.
type rawPackage struct {
	archive []byte
	parts   [][]byte // encrypted
	key     *envelope.Key
}

// zipOf builds a ZIP of the given files (name, content pairs in order).
func zipOf(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pack splits archive into n parts and encrypts each with a fresh key.
func pack(t testing.TB, archive []byte, n int) *rawPackage {
	t.Helper()
	k, err := envelope.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPackage{archive: archive, key: k}
	size := (len(archive) + n - 1) / n
	for i := 0; i < len(archive); i += size {
		p.parts = append(p.parts, k.Encrypt(archive[i:min(i+size, len(archive))]))
	}
	return p
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// openBatch opens a batch session declaring p.
func (c *rawClient) openBatch(p *rawPackage, edit func(*ksef.OpenBatchSessionRequest)) ksef.OpenBatchSessionResponse {
	c.t.Helper()
	pub, keyID := c.mfKey()
	wrapped, err := envelope.WrapKey(pub, p.key.Key[:])
	if err != nil {
		c.t.Fatal(err)
	}
	req := ksef.OpenBatchSessionRequest{
		FormCode:   formFA3,
		BatchFile:  ksef.BatchFileInfo{FileSize: int64(len(p.archive)), FileHash: sum(p.archive)},
		Encryption: ksef.EncryptionInfo{EncryptedSymmetricKey: wrapped, InitializationVector: p.key.IV[:], PublicKeyID: keyID},
	}
	for i, part := range p.parts {
		req.BatchFile.FileParts = append(req.BatchFile.FileParts, ksef.BatchFilePartInfo{OrdinalNumber: int32(i + 1), FileSize: int64(len(part)), FileHash: sum(part)})
	}
	if edit != nil {
		edit(&req)
	}
	var out ksef.OpenBatchSessionResponse
	c.ok("POST", "/sessions/batch", req, 201, &out)
	return out
}

// upload PUTs body to a part's pre-signed URL with the returned headers
// (plus extra) and returns the status and body.
func upload(t testing.TB, ur ksef.PartUploadRequest, body []byte, extra map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), ur.Method, ur.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ur.Headers {
		req.Header.Set(k, fmt.Sprint(v))
	}
	for k, v := range extra {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *rawClient) uploadAll(out ksef.OpenBatchSessionResponse, p *rawPackage) {
	c.t.Helper()
	for i, ur := range out.PartUploadRequests {
		if code, body := upload(c.t, ur, p.parts[i], nil); code != http.StatusCreated {
			c.t.Fatalf("upload of part %d: %d %s", i+1, code, body)
		}
	}
}

// waitBatch advances the clock past the processing delay and polls until
// the session leaves 150 (processing runs in the background).
func (c *rawClient) waitBatch(ref string) ksef.SessionStatusResponse {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := c.sessionStatus(ref)
		if st.Status.Code != 150 && st.Status.Code != 100 {
			return st
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("session %s still at %d", ref, st.Status.Code)
		}
		c.clk.Advance(time.Second)
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBatchStorageRules checks the pre-signed uploads and the close: 201
// without Authorization, the Authorization header and a missing
// x-ms-blob-type refused, a forged signature and a body larger than
// declared refused, 21205 for a missing part (the session stays open),
// 21157 for a part shorter than declared, 403 once the session is closed,
// and 21161 for more than 50 parts.
func TestBatchStorageRules(t *testing.T) {
	c, _ := newRawClient(t)
	id := newIdentity(t, c)
	c.loginID(id)
	archive := zipOf(t, [2]string{"a.xml", string(invoice(t, "invoice-template-fa-3.xml", id.NIP, "R1"))})
	p := pack(t, archive, 2)
	out := c.openBatch(p, nil)
	if len(out.PartUploadRequests) != 2 || out.PartUploadRequests[0].Method != "PUT" || out.PartUploadRequests[0].Headers["x-ms-blob-type"] != "BlockBlob" {
		t.Fatalf("upload requests %+v", out.PartUploadRequests)
	}
	ur := out.PartUploadRequests[0]
	if code, _ := upload(t, ur, p.parts[0], map[string]string{"Authorization": "Bearer " + c.token}); code != http.StatusBadRequest {
		t.Errorf("upload with Authorization: %d, want 400", code)
	}
	if code, _ := upload(t, ur, p.parts[0], map[string]string{"x-ms-blob-type": ""}); code != http.StatusBadRequest {
		t.Errorf("upload without x-ms-blob-type: %d, want 400", code)
	}
	forged := ur
	forged.URL = strings.Replace(ur.URL, "sig=", "sig=00", 1)
	if code, body := upload(t, forged, p.parts[0], nil); code != http.StatusForbidden || strings.Contains(body, "sig=") {
		t.Errorf("forged signature: %d %q, want 403 without the URL", code, body)
	}
	if code, _ := upload(t, ur, append(bytes.Clone(p.parts[0]), make([]byte, 16)...), nil); code != http.StatusBadRequest {
		t.Errorf("upload larger than declared: %d, want 400", code)
	}
	if code, _ := upload(t, ur, p.parts[0], nil); code != http.StatusCreated {
		t.Fatalf("upload: %d, want 201", code)
	}
	closePath := "/sessions/batch/" + out.ReferenceNumber + "/close"
	// A batch session is not an online one, and the other way round.
	if code := c.exception("POST", "/sessions/online/"+out.ReferenceNumber+"/close", nil, nil); code != 21173 {
		t.Errorf("online close of a batch session: %d, want 21173", code)
	}
	onlineRef, _ := c.openSession(formFA3)
	if code := c.exception("POST", "/sessions/batch/"+onlineRef+"/close", nil, nil); code != 21173 {
		t.Errorf("batch close of an online session: %d, want 21173", code)
	}
	if code := c.exception("POST", closePath, nil, nil); code != 21205 {
		t.Errorf("close with part 2 missing: %d, want 21205", code)
	}
	if st := c.sessionStatus(out.ReferenceNumber); st.Status.Code != 100 {
		t.Errorf("after 21205: status %d, want 100 (still open)", st.Status.Code)
	}
	short := p.parts[1][:len(p.parts[1])-16]
	if code, _ := upload(t, out.PartUploadRequests[1], short, nil); code != http.StatusCreated {
		t.Fatalf("short upload: %d", code)
	}
	if code := c.exception("POST", closePath, nil, nil); code != 21157 {
		t.Errorf("close with a short part: %d, want 21157", code)
	}
	c.uploadAll(out, p) // a repeated upload replaces the part
	c.ok("POST", closePath, nil, 204, nil)
	if code, _ := upload(t, ur, p.parts[0], nil); code != http.StatusForbidden {
		t.Errorf("upload after the close: %d, want 403", code)
	}
	if code := c.exception("POST", closePath, nil, nil); code != 21180 {
		t.Errorf("second close: %d, want 21180", code)
	}
	if st := c.waitBatch(out.ReferenceNumber); st.Status.Code != 200 {
		t.Errorf("status %+v, want 200", st.Status)
	}

	// 51 parts (the spec's maxItems is 50: the request breaks the spec on
	// purpose).
	req := map[string]any{
		"formCode":   formFA3,
		"batchFile":  map[string]any{"fileSize": 51 * 16, "fileHash": sum(nil), "fileParts": []map[string]any{}},
		"encryption": map[string]any{"encryptedSymmetricKey": []byte{1}, "initializationVector": make([]byte, 16)},
	}
	var parts []map[string]any
	for i := range 51 {
		parts = append(parts, map[string]any{"ordinalNumber": i + 1, "fileSize": 32, "fileHash": sum(nil)})
	}
	req["batchFile"].(map[string]any)["fileParts"] = parts
	if code := c.exception("POST", "/sessions/batch", req, skipRequest); code != 21161 {
		t.Errorf("51 parts: %d, want 21161", code)
	}
}

// TestBatchPackageStatuses processes packages that fail as a whole and
// checks the documented session statuses: 405 (a part's or the archive's
// hash), 415 (a key that does not unwrap), 435 (a part that does not decrypt), 430 (not an archive), 420
// (more invoices than the limit), 440 (an empty package; a session never
// closed), 445 (no valid invoice), and 200 with invoiceFileName and the
// failed invoices listed.
func TestBatchPackageStatuses(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the simulator keeps the uploads
	c, clk := newRawClient(t, ksefsim.WithSessionInvoiceLimit(3))
	id := newIdentity(t, c)
	c.loginID(id)
	inv := func(n string) string { return string(invoice(t, "invoice-template-fa-3.xml", id.NIP, n)) }
	good := zipOf(t, [2]string{"dir/one.xml", inv("S1")}, [2]string{"two.xml", "<bad/>"}, [2]string{"three.xml", inv("S3")})

	run := func(name string, p *rawPackage, edit func(*ksef.OpenBatchSessionRequest), want int32) ksef.SessionStatusResponse {
		t.Helper()
		out := c.openBatch(p, edit)
		c.uploadAll(out, p)
		c.ok("POST", "/sessions/batch/"+out.ReferenceNumber+"/close", nil, 204, nil)
		if st := c.sessionStatus(out.ReferenceNumber); st.Status.Code != 150 && st.Status.Code != want {
			t.Errorf("%s: status right after the close %d, want 150", name, st.Status.Code)
		}
		st := c.waitBatch(out.ReferenceNumber)
		if st.Status.Code != want {
			t.Errorf("%s: status %+v, want %d", name, st.Status, want)
		}
		return st
	}

	// Success, with a failed invoice and the file names.
	p := pack(t, good, 3)
	out := c.openBatch(p, nil)
	opened := c.sessionStatus(out.ReferenceNumber).DateCreated
	c.uploadAll(out, p)
	c.ok("POST", "/sessions/batch/"+out.ReferenceNumber+"/close", nil, 204, nil)
	if st := c.waitBatch(out.ReferenceNumber); st.Status.Code != 200 || *st.SuccessfulInvoiceCount != 2 || *st.FailedInvoiceCount != 1 {
		t.Fatalf("good package: %+v", st)
	}
	var list ksef.SessionInvoicesResponse
	c.ok("GET", "/sessions/"+out.ReferenceNumber+"/invoices", nil, 200, &list)
	names := []string{}
	for _, iv := range list.Invoices {
		names = append(names, iv.InvoiceFileName)
		if !iv.InvoicingDate.Equal(opened) {
			t.Errorf("%s: invoicingDate %v, want the opening %v", iv.InvoiceFileName, iv.InvoicingDate, opened)
		}
	}
	if strings.Join(names, ",") != "dir/one.xml,two.xml,three.xml" || list.Invoices[1].Status.Code != 430 {
		t.Errorf("invoices %v, second status %d", names, list.Invoices[1].Status.Code)
	}
	var failed ksef.SessionInvoicesResponse
	c.ok("GET", "/sessions/"+out.ReferenceNumber+"/invoices/failed", nil, 200, &failed)
	if len(failed.Invoices) != 1 || failed.Invoices[0].InvoiceFileName != "two.xml" {
		t.Errorf("failed invoices %+v", failed.Invoices)
	}

	run("part hash", pack(t, good, 2), func(r *ksef.OpenBatchSessionRequest) { r.BatchFile.FileParts[1].FileHash = sum([]byte("x")) }, 405)
	run("archive hash", pack(t, good, 2), func(r *ksef.OpenBatchSessionRequest) { r.BatchFile.FileHash = sum([]byte("x")) }, 405)
	// A part whose padding is broken, declared with its (broken) hash.
	bp := pack(t, good, 2)
	last := bp.parts[0][len(bp.parts[0])-16:]
	for i := range last {
		last[i] ^= 0xA5
	}
	run("broken padding", bp, nil, 435)
	run("not an archive", pack(t, []byte(strings.Repeat("not a zip ", 50)), 1), nil, 430)
	many := zipOf(t, [2]string{"1.xml", inv("M1")}, [2]string{"2.xml", inv("M2")}, [2]string{"3.xml", inv("M3")}, [2]string{"4.xml", inv("M4")})
	run("invoice limit", pack(t, many, 1), nil, 420)
	st := run("empty package", pack(t, zipOf(t), 1), nil, 440)
	if len(st.Status.Details) == 0 || st.Status.Details[0] != "Nie przesłano faktur" {
		t.Errorf("empty package details %v", st.Status.Details)
	}
	run("no valid invoice", pack(t, zipOf(t, [2]string{"x.xml", "<x/>"}), 1), nil, 445)

	// A key that does not unwrap: 415 at once, and no close.
	bad := c.openBatch(pack(t, good, 1), func(r *ksef.OpenBatchSessionRequest) {
		r.Encryption.EncryptedSymmetricKey = bytes.Repeat([]byte{7}, 256)
	})
	if st := c.sessionStatus(bad.ReferenceNumber); st.Status.Code != 415 {
		t.Errorf("undecryptable key: status %+v, want 415", st.Status)
	}
	if code := c.exception("POST", "/sessions/batch/"+bad.ReferenceNumber+"/close", nil, nil); code != 21180 {
		t.Errorf("close of a 415 session: %d, want 21180", code)
	}

	// Uploaded but never closed: 440 "Przekroczono czas wysyłki" after the
	// upload time, also once the next opening swept its stored parts.
	abandoned := pack(t, good, 1)
	ab := c.openBatch(abandoned, nil)
	c.uploadAll(ab, abandoned)
	clk.Advance(21 * time.Minute)
	c.loginID(id)
	if parts, _ := filepath.Glob(filepath.Join(tmp, "ksefsim-part-*")); len(parts) != 1 {
		t.Errorf("stored parts before the sweep: %v, want the abandoned one", parts)
	}
	c.openBatch(pack(t, good, 1), nil) // sweeps the abandoned upload
	if parts, _ := filepath.Glob(filepath.Join(tmp, "ksefsim-*")); len(parts) != 0 {
		t.Errorf("files left after processing and the sweep: %v", parts)
	}
	if st := c.sessionStatus(ab.ReferenceNumber); st.Status.Code != 440 || st.Status.Details[0] != "Przekroczono czas wysyłki" {
		t.Errorf("abandoned upload: %+v, want 440 Przekroczono czas wysyłki", st.Status)
	}

	// Never closed: 440 once the upload time (20 min x 1 part) is over.
	idle := c.openBatch(pack(t, good, 1), nil)
	clk.Advance(21 * time.Minute)
	c.loginID(id) // the access token has expired meanwhile
	if st := c.sessionStatus(idle.ReferenceNumber); st.Status.Code != 440 || st.Status.Details[0] != "Nie przesłano faktur" {
		t.Errorf("never closed: %+v, want 440 Nie przesłano faktur", st.Status)
	}
}
