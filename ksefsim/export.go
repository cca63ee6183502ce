package ksefsim

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/envelope"
)

// exportDeflateLevel is the Deflate level of export packages:
// klauspost/compress at its fastest level compresses invoice XML several
// times faster than compress/flate's default and a little larger; KSeF
// does not say which level it uses, and any valid Deflate stream is
// accepted by ZIP and gzip readers.
const exportDeflateLevel = 1

// newZipWriter returns a ZIP writer onto w whose files are deflated by one
// reused klauspost/compress writer (the ZIP writer closes each file's
// compressor before it opens the next one).
func newZipWriter(w io.Writer) *zip.Writer {
	z := zip.NewWriter(w)
	var fw *flate.Writer
	z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		if fw == nil {
			var err error
			if fw, err = flate.NewWriter(out, exportDeflateLevel); err != nil {
				return nil, err
			}
			return fw, nil
		}
		fw.Reset(out)
		return fw, nil
	})
	return z
}

// Export limits (pobieranie-faktur.md, API 2.8.1); see [ExportLimits].
const (
	// DefaultExportPartSize is the largest part of an export package
	// (50 MB, before encryption).
	DefaultExportPartSize = 50_000_000
	// exportMaxInvoices is the largest number of invoices in a package.
	exportMaxInvoices = 10000
	// exportMaxPackage is the largest compressed package (1 GB).
	exportMaxPackage = 1_000_000_000
	// exportCap is the number of exports one context may run at once.
	exportCap = 10
	// exportStoragePath is where the pre-signed part URLs point.
	exportStoragePath = "/storage/exports/"
)

// ExportLimits configures exports; zero fields keep their defaults.
type ExportLimits struct {
	// PartSize is the largest part before encryption (default
	// [DefaultExportPartSize], 50 MB).
	PartSize int64
	// MaxInvoices is the largest number of invoices in one package
	// (default 10,000).
	MaxInvoices int
	// MaxPackageSize is the largest compressed package (default 1 GB).
	MaxPackageSize int64
	// URLLifetime is the validity of part URLs, renewed by each status
	// call (default 1 hour).
	URLLifetime time.Duration
	// PackageLifetime is how long a package can be downloaded after it is
	// ready (default 7 days); then the status is 210, and after twice as
	// long the status call answers 410.
	PackageLifetime time.Duration
}

// exportConfig is the effective configuration of exports.
type exportConfig struct{ ExportLimits }

// WithExportLimits overrides the export limits (part size, invoices per
// package, URL and package lifetimes). Tests use small parts to get
// multi-part packages from a few invoices.
func WithExportLimits(l ExportLimits) Option {
	return func(c *config) { c.export.ExportLimits = l }
}

func (c exportConfig) partSize() int64 {
	if c.PartSize > 0 {
		return c.PartSize
	}
	return DefaultExportPartSize
}

func (c exportConfig) maxInvoices() int {
	if c.MaxInvoices > 0 {
		return c.MaxInvoices
	}
	return exportMaxInvoices
}

func (c exportConfig) maxPackage() int64 {
	if c.MaxPackageSize > 0 {
		return c.MaxPackageSize
	}
	return exportMaxPackage
}

func (c exportConfig) urlLifetime() time.Duration {
	if c.URLLifetime > 0 {
		return c.URLLifetime
	}
	return time.Hour
}

func (c exportConfig) packageLifetime() time.Duration {
	if c.PackageLifetime > 0 {
		return c.PackageLifetime
	}
	return 7 * 24 * time.Hour
}

// ExportFaults are failures injected into the next exports (see
// [Simulator.InjectExportFaults]); each counter is consumed one by one.
type ExportFaults struct {
	// Stuck is the number of next exports that stay at status 100 forever.
	Stuck int
	// ExpiredURLs is the number of next status answers whose part URLs
	// have already expired (storage answers 403).
	ExpiredURLs int
	// CorruptParts is the number of next part downloads with one byte
	// changed (their hash does not match).
	CorruptParts int
}

// InjectExportFaults adds f to the pending export faults.
func (s *Simulator) InjectExportFaults(f ExportFaults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st.exports()
	st.faults.Stuck += f.Stuck
	st.faults.ExpiredURLs += f.ExpiredURLs
	st.faults.CorruptParts += f.CorruptParts
}

// ResetExportFaults drops the pending export faults.
func (s *Simulator) ResetExportFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.exports().faults = ExportFaults{}
}

// exportStore holds the invoice exports; guarded by Simulator.mu.
type exportStore struct {
	jobs   map[string]*exportJob
	faults ExportFaults
}

func (st *state) exports() *exportStore {
	if st.exportSt == nil {
		st.exportSt = &exportStore{jobs: map[string]*exportJob{}}
	}
	return st.exportSt
}

// exportJob is one export.
type exportJob struct {
	ref      string
	ctx      ctxID
	created  time.Time
	readyAt  time.Time
	stuck    bool
	failure  int32 // final failure status (415, 420), 0 when none
	built    bool  // the package is ready (built in the background)
	pkg      ksef.InvoicePackage
	parts    []*exportPart
	complete time.Time // when the status turned 200 (set on first sight)
}

// exportPart is one encrypted part of a package: in the spill file at
// off, or in enc when it could not be spilled.
type exportPart struct {
	name      string
	enc       []byte
	spill     *os.File
	off, size int64
	plainSize int64
	plainHash []byte
	encHash   []byte
}

var exportStatuses = map[int32]ksef.StatusInfo{
	100: {Code: 100, Description: "Eksport faktur w toku"},
	200: {Code: 200, Description: "Eksport faktur zakończony sukcesem"},
	210: {Code: 210, Description: "Paczka faktur wygasła i nie jest już dostępna do pobrania"},
	415: {Code: 415, Description: "Błąd odszyfrowania dostarczonego klucza"},
	420: {Code: 420, Description: "Zakres filtrowania wykracza poza dostępny zakres danych", Details: []string{"Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate."}},
	500: {Code: 500, Description: "Nieznany błąd"},
	550: {Code: 550, Description: "Operacja została anulowana przez system"},
}

// exportSpill is where the simulator keeps the encrypted parts of the
// packages it built: one temporary file, removed from its directory as
// soon as it is created (it lives while the simulator holds it open), so
// that a simulator serving 100,000 invoices in exports does not hold
// hundreds of MB of packages in memory. When a package expires (status
// 210) its parts are dropped and, on Linux, their space is given back to
// the file system (a hole punched in the file); elsewhere the file keeps
// growing until the simulator ends. When no temporary file can be created
// the parts stay in memory.
type exportSpill struct {
	once sync.Once
	f    *os.File
	end  atomic.Int64
}

// put stores b and returns where; nil when b stays in memory.
func (sp *exportSpill) put(b []byte) (f *os.File, off int64) {
	sp.once.Do(func() {
		f, err := os.CreateTemp("", "ksefsim-exports-*")
		if err != nil {
			return
		}
		_ = os.Remove(f.Name()) // fails on Windows: the file then stays in the temporary directory
		sp.f = f
	})
	if sp.f == nil {
		return nil, 0
	}
	off = sp.end.Add(int64(len(b))) - int64(len(b))
	if _, err := sp.f.WriteAt(b, off); err != nil {
		return nil, 0
	}
	return sp.f, off
}

// runningExports counts the exports of context c in progress at now and
// frees the parts of every expired package, so that a long-running
// simulator gives their space back even when nobody asks their status;
// callers hold s.mu.
func (s *Simulator) runningExports(c ctxID, now time.Time) int {
	running := 0
	for _, j := range s.st.exports().jobs {
		switch code := j.statusAt(now, s.cfg.export); {
		case code == 100 && j.ctx == c:
			running++
		case code == 210:
			j.dropParts()
		}
	}
	return running
}

// dropParts frees the parts of an expired package (status 210); callers
// hold s.mu.
func (j *exportJob) dropParts() {
	for _, p := range j.parts {
		p.free()
	}
	j.parts = nil
}

// free gives the part's space back: its bytes in memory, or its range of
// the spill file.
func (p *exportPart) free() {
	if p.spill != nil {
		punchHole(p.spill, p.off, p.size)
	}
	p.enc = nil
}

// body returns the part's bytes as a reader.
func (p *exportPart) body() io.Reader {
	if p.spill != nil {
		return io.NewSectionReader(p.spill, p.off, p.size)
	}
	return bytes.NewReader(p.enc)
}

// statusAt returns the job's status code at now.
func (j *exportJob) statusAt(now time.Time, c exportConfig) int32 {
	switch {
	case j.stuck || now.Before(j.readyAt):
		return 100
	case j.failure != 0:
		return j.failure
	case !j.built:
		return 100
	case !j.complete.IsZero() && !now.Before(j.complete.Add(c.packageLifetime())):
		return 210
	}
	return 200
}

// handleExport serves POST /invoices/exports.
func (s *Simulator) handleExport(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requirePermission(r, readInvoicePermissions...)
	if e != nil {
		return e
	}
	var req ksef.InvoiceExportRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if len(req.Encryption.InitializationVector) != envelope.IVSize {
		return validation("encryption.initializationVector: wymagane %d bajtów.", envelope.IVSize)
	}
	if len(req.Encryption.EncryptedSymmetricKey) == 0 {
		return validation("encryption.encryptedSymmetricKey: wartość wymagana.")
	}
	compression := req.CompressionType
	switch compression {
	case "":
		compression = ksef.CompressionTypeZip
	case ksef.CompressionTypeZip, ksef.CompressionTypeTarGz:
	default:
		return validation("compressionType: dozwolone wartości Zip, TarGz.")
	}
	now := s.now()
	job := &exportJob{ref: newRef(now, KindExport), ctx: p.ctx(), created: now, readyAt: now.Add(s.cfg.processingDelay)}
	raw, err := s.decryptSymmetricKey(req.Encryption.PublicKeyID, req.Encryption.EncryptedSymmetricKey)
	var key *envelope.Key
	switch {
	case err == errUnknownKey:
		return badRequest(21470, "Klucz o identyfikatorze "+req.Encryption.PublicKeyID+" nie jest wspierany.")
	case err != nil:
		job.failure = 415
	default:
		if key, err = envelope.KeyFromBytes(raw, req.Encryption.InitializationVector); err != nil {
			job.failure = 415
		}
	}
	s.mu.Lock()
	q, fe := s.checkFilters(req.Filters, now)
	if fe != nil {
		if len(fe.errs) == 1 && fe.errs[0].Code == 21183 {
			// exports report a window after the HWM in their status
			fe = nil
			job.failure = 420
		} else {
			s.mu.Unlock()
			return fe
		}
	}
	st := s.st.exports()
	if s.runningExports(job.ctx, now) >= exportCap {
		s.mu.Unlock()
		return badRequest(21182, "Osiągnięto limit "+strconv.Itoa(exportCap)+" trwających eksportów dla kontekstu. Spróbuj ponownie później.")
	}
	if st.faults.Stuck > 0 {
		st.faults.Stuck--
		job.stuck = true
	}
	st.jobs[job.ref] = job
	var list []*storedInvoice
	if job.failure == 0 {
		list = s.selectInvoices(job.ctx, q, now, false)
	}
	s.mu.Unlock()
	if job.failure == 0 {
		onlyMeta := req.OnlyMetadata != nil && *req.OnlyMetadata
		go s.buildExport(job, key, list, q.f.DateRange.DateType, q.hwm, onlyMeta, compression)
	}
	writeOK(w, http.StatusCreated, ksef.ExportInvoicesResponse{ReferenceNumber: job.ref})
	return nil
}

// partWriter splits what is written into parts of at most size bytes.
type partWriter struct {
	size  int64
	parts [][]byte
	n     int64
}

func (pw *partWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if len(pw.parts) == 0 || int64(len(pw.parts[len(pw.parts)-1])) == pw.size {
			pw.parts = append(pw.parts, make([]byte, 0, min(pw.size, 1<<20)))
		}
		last := &pw.parts[len(pw.parts)-1]
		k := min(int64(len(p)), pw.size-int64(len(*last)))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	pw.n += int64(total)
	return total, nil
}

// archiveWriter writes files into a ZIP or tar.gz archive.
type archiveWriter interface {
	add(name string, doc []byte) error
	close() error
}

type zipArchive struct{ z *zip.Writer }

func (a zipArchive) add(name string, doc []byte) error {
	w, err := a.z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now()})
	if err != nil {
		return err
	}
	_, err = w.Write(doc)
	return err
}

func (a zipArchive) close() error { return a.z.Close() }

type tarGzArchive struct {
	gz *gzip.Writer
	t  *tar.Writer
}

func (a tarGzArchive) add(name string, doc []byte) error {
	if err := a.t.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(doc)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := a.t.Write(doc)
	return err
}

func (a tarGzArchive) close() error {
	if err := a.t.Close(); err != nil {
		return err
	}
	return a.gz.Close()
}

// buildExport builds, splits and encrypts the package of job in the
// background: invoices in ascending order of the filter's date until the
// invoice or size limit, then _metadata.json.
func (s *Simulator) buildExport(job *exportJob, key *envelope.Key, list []*storedInvoice, dt ksef.InvoiceQueryDateType, hwm *time.Time, onlyMeta bool, compression ksef.CompressionType) {
	c := s.cfg.export
	pw := &partWriter{size: c.partSize()}
	var aw archiveWriter
	ext := ".zip"
	if compression == ksef.CompressionTypeTarGz {
		gz, err := gzip.NewWriterLevel(pw, exportDeflateLevel)
		if err != nil {
			s.mu.Lock()
			job.failure = 500
			s.mu.Unlock()
			return
		}
		aw, ext = tarGzArchive{gz: gz, t: tar.NewWriter(gz)}, ".tar.gz"
	} else {
		aw = zipArchive{z: newZipWriter(pw)}
	}
	meta := struct {
		Invoices []ksef.InvoiceMetadata `json:"invoices"`
	}{Invoices: []ksef.InvoiceMetadata{}}
	truncated := false
	var last *storedInvoice
	fail := func() {
		s.mu.Lock()
		job.failure = 500
		s.mu.Unlock()
	}
	for i, inv := range list {
		if i >= c.maxInvoices() || pw.n >= c.maxPackage() {
			truncated = true
			break
		}
		if !onlyMeta {
			if err := aw.add(inv.md.KSeFNumber+".xml", inv.xml()); err != nil {
				fail()
				return
			}
		}
		meta.Invoices = append(meta.Invoices, inv.md)
		last = inv
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		fail()
		return
	}
	if err := aw.add("_metadata.json", mj); err != nil {
		fail()
		return
	}
	if err := aw.close(); err != nil {
		fail()
		return
	}
	pkg := ksef.InvoicePackage{
		InvoiceCount:    int64(len(meta.Invoices)),
		Size:            pw.n,
		IsTruncated:     truncated,
		CompressionType: compression,
		Parts:           []ksef.InvoicePackagePart{},
	}
	if last != nil {
		switch dt {
		case ksef.InvoiceQueryDateTypeIssue:
			pkg.LastIssueDate = last.md.IssueDate
		case ksef.InvoiceQueryDateTypeInvoicing:
			d := last.md.InvoicingDate
			pkg.LastInvoicingDate = &d
		default:
			d := last.md.PermanentStorageDate
			pkg.LastPermanentStorageDate = &d
		}
	}
	if dt == ksef.InvoiceQueryDateTypePermanentStorage {
		pkg.PermanentStorageHwmDate = hwm
	}
	parts := make([]*exportPart, 0, len(pw.parts))
	for i, plain := range pw.parts {
		enc := key.Encrypt(plain)
		part := &exportPart{
			name:      fmt.Sprintf("%s-%03d%s.aes", job.ref, i+1, ext),
			size:      int64(len(enc)),
			plainSize: int64(len(plain)),
			plainHash: hashOf(plain),
			encHash:   hashOf(enc),
		}
		if part.spill, part.off = s.spill.put(enc); part.spill == nil {
			part.enc = enc
		}
		parts = append(parts, part)
		pw.parts[i] = nil
	}
	s.mu.Lock()
	job.pkg, job.parts, job.built = pkg, parts, true
	s.mu.Unlock()
}

// handleExportStatus serves GET /invoices/exports/{referenceNumber}.
func (s *Simulator) handleExportStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, readInvoicePermissions, "referenceNumber")
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st.exports()
	job := st.jobs[refs[0]]
	if job == nil || job.ctx != p.ctx() {
		return badRequest(21405, "Eksport o numerze referencyjnym "+refs[0]+" nie został odnaleziony.")
	}
	c := s.cfg.export
	code := job.statusAt(now, c)
	if code == 200 && job.complete.IsZero() {
		job.complete = now
	}
	if code == 210 {
		job.dropParts()
	}
	if code == 210 && !now.Before(job.complete.Add(2*c.packageLifetime())) {
		return gone("Status eksportu " + job.ref + " nie jest już dostępny.")
	}
	out := ksef.InvoiceExportStatusResponse{Status: exportStatuses[code]}
	if code == 200 || code == 210 {
		done := job.complete
		exp := done.Add(c.packageLifetime())
		out.CompletedDate, out.PackageExpirationDate = &done, &exp
	}
	if code == 200 {
		pkg := job.pkg
		urlExp := now.Add(c.urlLifetime()).Truncate(time.Second)
		if st.faults.ExpiredURLs > 0 {
			st.faults.ExpiredURLs--
			urlExp = now.Add(-time.Minute).Truncate(time.Second)
		}
		pkg.Parts = make([]ksef.InvoicePackagePart, len(job.parts))
		for i, part := range job.parts {
			pkg.Parts[i] = ksef.InvoicePackagePart{
				OrdinalNumber:     int32(i + 1),
				PartName:          part.name,
				Method:            http.MethodGet,
				URL:               s.presignExport(r, job.ref, part.name, urlExp),
				PartSize:          part.plainSize,
				PartHash:          part.plainHash,
				EncryptedPartSize: part.size,
				EncryptedPartHash: part.encHash,
				ExpirationDate:    urlExp,
			}
		}
		out.Package = &pkg
	}
	writeOK(w, http.StatusOK, out)
	return nil
}

// presignExport returns the pre-signed URL of one part, served by the
// simulator itself without authorization.
func (s *Simulator) presignExport(r *http.Request, ref, name string, exp time.Time) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := exportStoragePath + strings.ToLower(ref) + "/" + name
	se := strconv.FormatInt(exp.Unix(), 10)
	q := url.Values{"sv": {"2025-01-05"}, "se": {se}, "sr": {"b"}, "sp": {"r"}, "sig": {s.storageSig(path, se)}}
	return scheme + "://" + r.Host + path + "?" + q.Encode()
}

// handleExportPart serves the pre-signed part URLs: 403 for a bad
// signature or an expired URL, as blob storage does.
func (s *Simulator) handleExportPart(w http.ResponseWriter, r *http.Request) {
	se, sig := r.URL.Query().Get("se"), r.URL.Query().Get("sig")
	exp, err := strconv.ParseInt(se, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.storageSig(r.URL.Path, se))) {
		http.Error(w, "AuthenticationFailed: the signature of the URL is not valid.", http.StatusForbidden)
		return
	}
	if s.now().After(time.Unix(exp, 0)) {
		http.Error(w, "AuthenticationFailed: the URL has expired.", http.StatusForbidden)
		return
	}
	ref, name := strings.ToUpper(r.PathValue("ref")), r.PathValue("part")
	s.mu.Lock()
	st := s.st.exports()
	var part *exportPart
	if job := st.jobs[ref]; job != nil {
		for _, p := range job.parts {
			if p.name == name {
				part = p
			}
		}
	}
	corrupt := part != nil && st.faults.CorruptParts > 0
	if corrupt {
		st.faults.CorruptParts--
	}
	s.mu.Unlock()
	if part == nil {
		http.Error(w, "BlobNotFound", http.StatusNotFound)
		return
	}
	body := part.body()
	if corrupt {
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, "InternalError", http.StatusInternalServerError)
			return
		}
		b[len(b)/2] ^= 0xFF
		body = bytes.NewReader(b)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(part.size, 10))
	_, _ = io.Copy(w, body)
}

// registerExports installs the export operations and the part storage.
func (s *Simulator) registerExports() {
	s.handle(ksef.OpInvoicesExport, s.handleExport)
	s.handle(ksef.OpInvoicesExportStatus, s.handleExportStatus)
	s.mux.HandleFunc("GET "+exportStoragePath+"{ref}/{part}", s.handleExportPart)
}
