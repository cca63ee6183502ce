package ksefsim

import (
	"crypto"
	"crypto/x509"

	"github.com/ksef2/ksef"
)

// adminStore is the simulator's memory of the administrative areas: KSeF
// certificates and enrollments, limit overrides, attachment consents,
// collective identifiers and Peppol providers (attachment consents live
// in the permission store, see permissions.go). It lives in state and is
// guarded by Simulator.mu.
type adminStore struct {
	ca    *x509.Certificate // the simulator's KSeF certificate authority
	caKey crypto.Signer

	enrollments map[string]*enrollment
	certs       map[string]*ksefCert // by serial (16 uppercase hex)
	certOrder   []*ksefCert

	subjectLimits map[subjectID]*subjectLimits
	sessionLimits map[ctxID]*ksef.SetSessionLimitsRequest

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
			collective:    map[string]*collectiveID{},
			peppol:        map[string]*ksef.PeppolProvider{},
		}
	}
	return st.adminSt
}
