package ksefsim

import (
	"errors"
	"time"

	"github.com/ksef2/ksef/xades"
)

// verifyXAdES checks the XAdES signature of an AuthTokenRequest with
// package xades: references, signature value, the binding of
// SigningCertificate to KeyInfo, and the certificate's validity at now (a
// validity failure is reported as errCertificateValidity, which ends the
// authentication with status 460 instead of a 400). The size bound is the
// request body limit.
func verifyXAdES(body []byte, now time.Time) (*verifiedSignature, error) {
	v, err := xades.Verify(body, &xades.VerifyOptions{Now: now, MaxBytes: maxXMLBody})
	if err != nil {
		if errors.Is(err, xades.ErrCertificateValidity) {
			return nil, errCertificateValidity
		}
		return nil, err
	}
	return &verifiedSignature{cert: v.Certificate, chain: v.Chain, signingTime: v.SigningTime}, nil
}
