package ksef_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ksef2/ksef"
)

func TestFormCodes(t *testing.T) {
	want := map[ksef.Form]ksef.FormCode{
		ksef.FormFA3:     {SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"},
		ksef.FormFA2:     {SystemCode: "FA (2)", SchemaVersion: "1-0E", Value: "FA"},
		ksef.FormFARR:    {SystemCode: "FA_RR (1)", SchemaVersion: "1-1E", Value: "FA_RR"},
		ksef.FormPEF3:    {SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"},
		ksef.FormPEFKOR3: {SystemCode: "PEF_KOR (3)", SchemaVersion: "2-1", Value: "PEF"},
	}
	if len(ksef.Forms()) != len(want) {
		t.Errorf("Forms() = %v", ksef.Forms())
	}
	for _, f := range ksef.Forms() {
		got, err := f.Code()
		if err != nil || got != want[f] {
			t.Errorf("%s.Code() = %+v, %v; want %+v", f, got, err, want[f])
		}
	}
	if _, err := ksef.Form("FA (9)").Code(); err == nil {
		t.Error("unknown form accepted")
	}
}

// TestOnlineSessionEveryForm opens a session per form against the fake,
// which unwraps the key with the MF private key, and sends an invoice it
// decrypts and checks.
func TestOnlineSessionEveryForm(t *testing.T) {
	a, f := fakeOnlineClient(t)
	for i, form := range ksef.Forms() {
		s, err := a.Sessions.OpenOnline(t.Context(), form, &ksef.OpenOnlineParams{SubjectIdentifierValidation: i == 0})
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		fs := f.sessions[s.ReferenceNumber()]
		if code, _ := form.Code(); fs.form != code {
			t.Errorf("%s: server saw form %+v", form, fs.form)
		}
		if (fs.feature == "subject-identifier-validation") != (i == 0) {
			t.Errorf("%s: X-KSeF-Feature %q", form, fs.feature)
		}
		sent, err := s.SendInvoice(t.Context(), invoiceXML(i), nil)
		if err != nil {
			t.Fatalf("%s: send: %v", form, err)
		}
		st, err := s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait)
		if err != nil || st.KSeFNumber == "" {
			t.Fatalf("%s: wait: %v %+v", form, err, st)
		}
		if err := s.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		ss, err := s.Wait(t.Context(), fastWait)
		if err != nil || ss.Upo == nil || len(ss.Upo.Pages) == 0 {
			t.Fatalf("%s: session wait: %v %+v", form, err, ss)
		}
	}
	// Two sessions get different keys.
	var keys []string
	for _, s := range f.sessions {
		keys = append(keys, string(s.key.Key[:]))
	}
	if len(keys) > 1 && keys[0] == keys[1] {
		t.Error("two sessions share a key")
	}
}

func TestOpenOnlineKeyRotation(t *testing.T) {
	a, f := fakeOnlineClient(t)
	if _, err := a.PublicKeys.Get(t.Context(), ksef.SymmetricKeyEncryption); err != nil {
		t.Fatal(err)
	}
	f.rotated = true // the cached key is now withdrawn: 21470
	if _, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil); err != nil {
		t.Fatal(err)
	}
	if f.opens != 2 || f.keyGets != 2 {
		t.Errorf("opens %d, key downloads %d; want 2 and 2", f.opens, f.keyGets)
	}
}

func TestSendLostAnswerResolvedByHash(t *testing.T) {
	for _, fault := range []string{"500", "dropAfter"} {
		t.Run(fault, func(t *testing.T) {
			a, f := fakeOnlineClient(t)
			s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
			if err != nil {
				t.Fatal(err)
			}
			// other invoices before it in the session
			for i := range 15 {
				if _, err := s.SendInvoice(t.Context(), invoiceXML(i), nil); err != nil {
					t.Fatal(err)
				}
			}
			f.sendFault = []string{fault}
			sent, err := s.SendInvoice(t.Context(), invoiceXML(99), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sent.Recovered || sent.ReferenceNumber == "" {
				t.Errorf("sent = %+v, want recovered", sent)
			}
			if f.sends != 16 {
				t.Errorf("%d send requests, want 16 (the lost one not repeated)", f.sends)
			}
			if n := len(f.sessions[s.ReferenceNumber()].invoices); n != 16 {
				t.Errorf("session holds %d invoices, want 16", n)
			}
			if _, err := s.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSendDroppedBeforeProcessingSentAgain(t *testing.T) {
	a, f := fakeOnlineClient(t)
	s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.sendFault = []string{"drop"}
	sent, err := s.SendInvoice(t.Context(), invoiceXML(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Recovered || f.sends != 2 || len(f.sessions[s.ReferenceNumber()].invoices) != 1 {
		t.Errorf("sent %+v, %d requests, %d invoices; want recovered, 2 requests, 1 invoice", sent, f.sends, len(f.sessions[s.ReferenceNumber()].invoices))
	}
	// always lost: the error stays outcome-unknown, never more than 3 sends
	f.sendFault = []string{"drop", "drop", "drop", "drop"}
	f.sends = 0
	_, err = s.SendInvoice(t.Context(), invoiceXML(2), nil)
	if !errors.Is(err, ksef.ErrOutcomeUnknown) || f.sends != 3 {
		t.Errorf("err %v after %d sends; want ErrOutcomeUnknown after 3", err, f.sends)
	}
}

func TestDuplicateInvoiceTyped(t *testing.T) {
	a, _ := fakeOnlineClient(t)
	s1, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s1.SendInvoice(t.Context(), invoiceXML(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	st1, err := s1.WaitInvoice(t.Context(), first.ReferenceNumber, fastWait)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s2.SendInvoice(t.Context(), invoiceXML(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s2.WaitInvoice(t.Context(), again.ReferenceNumber, fastWait)
	if !errors.Is(err, ksef.ErrDuplicateInvoice) {
		t.Fatalf("err = %v, want ErrDuplicateInvoice", err)
	}
	d, ok := ksef.AsDuplicate(err)
	if !ok || d.OriginalKSeFNumber != st1.KSeFNumber || d.OriginalSessionReferenceNumber != s1.ReferenceNumber() {
		t.Errorf("duplicate = %+v, want %s in %s", d, st1.KSeFNumber, s1.ReferenceNumber())
	}
	var se *ksef.StatusError
	if !errors.As(err, &se) || se.Code != 440 || se.Extensions["originalKsefNumber"] != st1.KSeFNumber || len(se.Details) == 0 || st.Status.Code != 440 {
		t.Errorf("status error %+v", se)
	}
	if !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("message %q lacks the English meaning", err)
	}
}

func TestCloseLostAnswerSettledByStatus(t *testing.T) {
	for _, fault := range []string{"500", "drop"} {
		t.Run(fault, func(t *testing.T) {
			a, f := fakeOnlineClient(t)
			s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
			if err != nil {
				t.Fatal(err)
			}
			f.closeFault = []string{fault}
			if err := s.Close(t.Context()); err != nil {
				t.Fatalf("close: %v", err)
			}
			if st := f.sessions[s.ReferenceNumber()].status; st < 170 {
				t.Errorf("session status %d after close", st)
			}
			// closing again is not an error
			if err := s.Close(t.Context()); err != nil {
				t.Errorf("second close: %v", err)
			}
		})
	}
}

func TestSendRejectedSynchronously(t *testing.T) {
	a, _ := fakeOnlineClient(t)
	s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = s.SendInvoice(t.Context(), invoiceXML(1), nil)
	if !ksef.IsCode(err, ksef.CodeSessionStatusForbids) {
		t.Errorf("send to closed session: %v, want 21180", err)
	}
	if _, err := s.SendInvoice(t.Context(), nil, nil); err == nil {
		t.Error("empty invoice sent")
	}
	if _, err := s.SendInvoice(t.Context(), make([]byte, ksef.MaxInvoiceSize+1), nil); err == nil {
		t.Error("oversized invoice sent")
	}
}

// TestOnlineSessionStateSecret: the state resumes in a "new process" (a
// new client) and the key never prints.
func TestOnlineSessionStateSecret(t *testing.T) {
	a, f := fakeOnlineClient(t)
	s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendInvoice(t.Context(), invoiceXML(1), nil); err != nil {
		t.Fatal(err)
	}
	st := s.State()
	keyB64 := st.SymmetricKey.Reveal()
	if len(keyB64) != 44 {
		t.Fatalf("key %d chars", len(keyB64))
	}
	var logs bytes.Buffer
	jl := slog.New(slog.NewJSONHandler(&logs, nil))
	tl := slog.New(slog.NewTextHandler(&logs, nil))
	jl.Info("x", "session", s, "state", st)
	tl.Info("x", "session", s, "state", st)
	sj, _ := json.Marshal(s)
	printed := fmt.Sprintf("%v %+v %#v %s | %v %+v %#v | %s %s", s, s, s, s, st, st, st, logs.String(), sj)
	if strings.Contains(printed, keyB64) || strings.Contains(printed, string(f.sessions[s.ReferenceNumber()].key.Key[:])) {
		t.Fatalf("key leaked: %s", printed)
	}
	if !strings.Contains(printed, s.ReferenceNumber()) {
		t.Errorf("reference missing from %s", printed)
	}
	// explicit export: JSON of the state, resumed by another client
	saved, err := json.Marshal(st)
	if err != nil || !bytes.Contains(saved, []byte(keyB64)) {
		t.Fatalf("exported state lacks the key: %s %v", saved, err)
	}
	var back ksef.OnlineSessionState
	if err := json.Unmarshal(saved, &back); err != nil {
		t.Fatal(err)
	}
	other := a.Client.Auth.ResumeWith(ksef.StaticToken("another-process"))
	r, err := other.Sessions.ResumeOnline(back)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent() != 1 || r.ReferenceNumber() != s.ReferenceNumber() || r.Form() != ksef.FormFA3 {
		t.Errorf("resumed %v sent %d", r, r.Sent())
	}
	sent, err := r.SendInvoice(t.Context(), invoiceXML(2), nil) // the fake decrypts with the session key
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitInvoice(t.Context(), sent.ReferenceNumber, fastWait); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	bad := back
	bad.SymmetricKey = "bm90IGEga2V5"
	if _, err := other.Sessions.ResumeOnline(bad); err == nil {
		t.Error("short key accepted")
	}
}

// TestConcurrentSends is meant for -race: one session, many goroutines.
func TestConcurrentSends(t *testing.T) {
	a, f := fakeOnlineClient(t)
	s, err := a.Sessions.OpenOnline(t.Context(), ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	f.sendFault = []string{"", "500", "", "dropAfter", "drop"}
	var wg sync.WaitGroup
	refs := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			sent, err := s.SendInvoice(t.Context(), invoiceXML(1000+i), nil)
			errs[i] = err
			if err == nil {
				refs[i] = sent.ReferenceNumber
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
			continue
		}
		if seen[refs[i]] {
			t.Errorf("reference %s twice", refs[i])
		}
		seen[refs[i]] = true
	}
	if got := len(f.sessions[s.ReferenceNumber()].invoices); got != n {
		t.Errorf("session holds %d invoices, want %d", got, n)
	}
	if s.Sent() != n {
		t.Errorf("Sent() = %d", s.Sent())
	}
}

func TestStatusCodeStrings(t *testing.T) {
	if ksef.InvoiceStatusDuplicate.String() != "duplicate invoice" || ksef.SessionStatusNoValidInvoices.String() == "" ||
		ksef.SessionStatusCode(999).String() != "session status 999" {
		t.Error("status code strings")
	}
	if !ksef.SessionStatusProcessed.Terminal() || ksef.SessionStatusClosed.Terminal() || ksef.InvoiceStatusProcessing.Terminal() {
		t.Error("Terminal")
	}
}
