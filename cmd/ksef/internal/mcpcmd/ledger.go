package mcpcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ksef2/ksef/upo"
)

// Sent is an invoice sent to KSeF through the server.
type Sent struct {
	KSeFNumber             string    `json:"ksefNumber"`
	InvoiceNumber          string    `json:"invoiceNumber,omitempty"`
	Status                 string    `json:"status"`
	SessionReferenceNumber string    `json:"sessionReferenceNumber"`
	InvoiceReferenceNumber string    `json:"invoiceReferenceNumber,omitempty"`
	SentAt                 time.Time `json:"sentAt"`
}

// Ledger records the invoices sent through the server, so that their UPO
// can be fetched later without asking which session they went in. With a
// Path the records are appended to that file (JSON lines) and survive the
// process; UPOs fetched are kept in the directory upo next to it.
type Ledger struct {
	// Path is the ledger file; "" keeps the records in memory only.
	Path string

	mu   sync.Mutex
	mem  []Sent
	upos map[string][]byte
}

// Add records s.
func (l *Ledger) Add(s Sent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mem = append(l.mem, s)
	if l.Path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(l.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(s)
	_, err = f.Write(append(b, '\n'))
	return errors.Join(err, f.Close())
}

// Find returns the last record of ksefNumber.
func (l *Ledger) Find(ksefNumber string) (Sent, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.mem) - 1; i >= 0; i-- {
		if l.mem[i].KSeFNumber == ksefNumber {
			return l.mem[i], true, nil
		}
	}
	if l.Path == "" {
		return Sent{}, false, nil
	}
	f, err := os.Open(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Sent{}, false, nil
	}
	if err != nil {
		return Sent{}, false, err
	}
	defer f.Close()
	var found Sent
	ok := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s Sent
		if json.Unmarshal(sc.Bytes(), &s) == nil && s.KSeFNumber == ksefNumber {
			found, ok = s, true
		}
	}
	return found, ok, sc.Err()
}

// upoPath is where the UPO of ksefNumber is kept.
func (l *Ledger) upoPath(ksefNumber string) string {
	return filepath.Join(filepath.Dir(l.Path), "upo", ksefNumber+".xml")
}

// UPO returns the kept UPO of ksefNumber.
func (l *Ledger) UPO(ksefNumber string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.upos[ksefNumber]; ok {
		return b
	}
	if l.Path == "" {
		return nil
	}
	b, err := os.ReadFile(l.upoPath(ksefNumber))
	if err != nil {
		return nil
	}
	return b
}

// KeepUPO keeps the UPO of ksefNumber.
func (l *Ledger) KeepUPO(ksefNumber string, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.upos == nil {
		l.upos = map[string][]byte{}
	}
	l.upos[ksefNumber] = data
	if l.Path == "" {
		return nil
	}
	p := l.upoPath(ksefNumber)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}

// UPOOutput is the result of get_upo.
type UPOOutput struct {
	KSeFNumber             string `json:"ksefNumber"`
	InvoiceNumber          string `json:"invoiceNumber"`
	SellerNIP              string `json:"sellerNip"`
	SessionReferenceNumber string `json:"sessionReferenceNumber"`
	SubmittedAt            string `json:"submittedAt"`
	AcceptedAt             string `json:"acceptedAt"`
	DocumentHash           string `json:"documentHash"`
	ReceivingEntity        string `json:"receivingEntity,omitempty"`
	Signed                 bool   `json:"signed"`
	xml                    string
}

// upo returns the UPO of an invoice: kept, or downloaded once from KSeF.
func (s *server) upo(ctx context.Context, in UPOInput) (UPOOutput, error) {
	data := s.cfg.Ledger.UPO(in.KSeFNumber)
	sessionRef := in.SessionReferenceNumber
	if data == nil {
		if sessionRef == "" {
			rec, ok, err := s.cfg.Ledger.Find(in.KSeFNumber)
			if err != nil {
				return UPOOutput{}, err
			}
			if !ok {
				return UPOOutput{}, fmt.Errorf("%s was not sent through this server: give sessionReferenceNumber (see the send receipt)", in.KSeFNumber)
			}
			sessionRef = rec.SessionReferenceNumber
		}
		if s.cfg.Client == nil {
			return UPOOutput{}, errors.New("no profile is logged in: run ksef auth login")
		}
		c, err := s.cfg.Client(ctx)
		if err != nil {
			return UPOOutput{}, err
		}
		if data, err = c.Sessions.InvoiceUPOByKSeFNumber(ctx, sessionRef, in.KSeFNumber); err != nil {
			return UPOOutput{}, err
		}
		if err := s.cfg.Ledger.KeepUPO(in.KSeFNumber, data); err != nil {
			s.log.Warn("cannot keep the UPO", "ksefNumber", in.KSeFNumber, "error", err)
		}
	}
	u, err := upo.Parse(data)
	if err != nil {
		return UPOOutput{}, err
	}
	d, ok := u.Document(in.KSeFNumber)
	if !ok {
		return UPOOutput{}, fmt.Errorf("the UPO does not confirm %s", in.KSeFNumber)
	}
	return UPOOutput{KSeFNumber: d.KSeFNumber, InvoiceNumber: d.InvoiceNumber, SellerNIP: d.SellerNIP,
		SessionReferenceNumber: u.SessionReferenceNumber, SubmittedAt: d.SubmittedAt.Format(time.RFC3339),
		AcceptedAt: d.KSeFNumberAssignedAt.Format(time.RFC3339), DocumentHash: d.DocumentHash,
		ReceivingEntity: u.ReceivingEntity, Signed: u.Signed, xml: string(data)}, nil
}
