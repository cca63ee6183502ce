package ksefsim

import (
	"crypto"
	"crypto/x509"
	"time"

	"github.com/ksef2/ksef"
)

// adminStore is the simulator's memory of the administrative areas: KSeF
// certificates and enrollments, limit overrides, attachment consents,
// collective identifiers and Peppol providers. It lives in state and is
// guarded by Simulator.mu.
type adminStore struct {
	ca    *x509.Certificate // the simulator's KSeF certificate authority
	caKey crypto.Signer

	enrollments map[string]*enrollment
	certs       map[string]*ksefCert // by serial (16 uppercase hex)
	certOrder   []*ksefCert

	subjectLimits map[subjectID]*subjectLimits
	sessionLimits map[ctxID]*ksef.SetSessionLimitsRequest

	attachments map[string]*attachmentConsent // by NIP

	collective      map[string]*collectiveID
	collectiveOrder []*collectiveID

	peppol map[string]*ksef.PeppolProvider
}

// admin returns the administrative store, creating it on first use.
func (st *state) admin() *adminStore {
	if st.adminSt == nil {
		st.adminSt = &adminStore{
			enrollments:   map[string]*enrollment{},
			certs:         map[string]*ksefCert{},
			subjectLimits: map[subjectID]*subjectLimits{},
			sessionLimits: map[ctxID]*ksef.SetSessionLimitsRequest{},
			attachments:   map[string]*attachmentConsent{},
			collective:    map[string]*collectiveID{},
			peppol:        map[string]*ksef.PeppolProvider{},
		}
	}
	return st.adminSt
}

// attachmentConsent is the state set by POST /testdata/attachment and
// /testdata/attachment/revoke for one NIP.
type attachmentConsent struct {
	granted bool
	end     *time.Time // when a revocation takes effect
}

// AttachmentsAllowed reports whether the NIP may send invoices with
// attachments (POST /testdata/attachment), and when the permission was
// withdrawn (nil when it never was). The GET /permissions/attachments/status
// handler and the invoice checks read it.
func (s *Simulator) AttachmentsAllowed(nip string) (allowed bool, revoked *time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.attachmentsAllowed(nip, s.now())
}

// attachmentsAllowed is [Simulator.AttachmentsAllowed] for callers holding
// s.mu.
func (st *state) attachmentsAllowed(nip string, now time.Time) (bool, *time.Time) {
	if st.adminSt == nil {
		return false, nil
	}
	a := st.adminSt.attachments[nip]
	if a == nil {
		return false, nil
	}
	return a.granted && (a.end == nil || now.Before(*a.end)), a.end
}
