// Package credentials loads, generates and saves the certificate and private
// key that sign KSeF XAdES authentication requests.
//
// A [Credentials] value holds a leaf certificate, its intermediate chain and
// a [crypto.Signer] for the private key (RSA or ECDSA, the key types KSeF
// accepts). It can be loaded from
//
//   - PEM ([LoadPEM], [LoadPEMFiles]): certificate and key in one file or two;
//     keys as PKCS#1 ("RSA PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"), PKCS#8
//     ("PRIVATE KEY") or password-protected PKCS#8 ("ENCRYPTED PRIVATE KEY",
//     PBES2 as written by OpenSSL 3);
//   - PKCS#12 / PFX ([LoadPKCS12], [LoadPKCS12File]), the format qualified
//     certificates are usually delivered in;
//   - either, detected from the content ([LoadFile]).
//
// [Credentials.EncodePKCS12] and [Credentials.EncodePEM] write them back, for
// example to save a generated identity.
//
//	creds, err := credentials.LoadFile("seal.p12", "", password) // PEM: LoadFile("cert.pem", "key.pem", password)
//	creds, err := credentials.NewSealNIP("5265877635", nil)       // a TEST company seal
//	auth, err := client.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(nip)), creds.Certificate, creds.Signer, nil)
//
// # Test certificates
//
// On the KSeF TEST environment any self-signed certificate is accepted,
// provided its subject carries the attributes KSeF reads the identity from.
// [NewPersonNIP], [NewPersonPESEL], [NewSealNIP] and [NewFingerprintOnly]
// generate such certificates:
//
//   - a person identified by NIP: serialNumber (2.5.4.5) "TINPL-<nip>", with
//     givenName, surname, commonName and countryName PL;
//   - a person identified by PESEL: serialNumber "PNOPL-<pesel>";
//   - a company seal: organizationIdentifier (2.5.4.97) "VATPL-<nip>",
//     organizationName, commonName, countryName PL and no givenName or
//     surname (KSeF rejects seals that carry them);
//   - a certificate without NIP or PESEL, identified by its SHA-256
//     [Fingerprint] once permissions have been granted to that fingerprint.
//
// [Identity] reads a certificate the way KSeF does and reports whether it
// identifies a NIP, a PESEL or only a fingerprint. These certificates are for
// TEST only: DEMO and PRODUCTION require qualified certificates or KSeF
// certificates.
//
// # KSeF certificate requests
//
// [NewCSR] builds the PKCS#10 request for POST /certificates/enrollments
// from the attributes returned by GET /certificates/enrollments/data
// ([EnrollmentSubject]); [ParseCSR] and [SubjectOf] are the server-side
// counterparts used by the simulator.
//
// Passwords and private keys never appear in error messages.
package credentials
