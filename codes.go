package ksef

import (
	"errors"
	"strconv"
)

// ExceptionCode is a KSeF exception code, sent in 400 responses as
// exceptionCode (legacy format) or errors[].code (problem details).
type ExceptionCode int

// KSeF exception codes (API 2.8.1).
const (
	CodeInvalidDocument                ExceptionCode = 9101  // Invalid document.
	CodeMissingSignature               ExceptionCode = 9102  // The document has no signature.
	CodeTooManySignatures              ExceptionCode = 9103  // Too many signatures in the document.
	CodeInvalidSignature               ExceptionCode = 9105  // Invalid signature.
	CodeUnreadableContent              ExceptionCode = 21001 // The request content cannot be read.
	CodeInvalidChallenge               ExceptionCode = 21111 // Invalid or expired authentication challenge.
	CodeInvalidCertificate             ExceptionCode = 21115 // Invalid certificate.
	CodeInvalidSubjectForContext       ExceptionCode = 21117 // Invalid subject identifier for the given context type.
	CodeSessionInvoiceLimit            ExceptionCode = 21155 // The session reached its invoice limit.
	CodeInvalidPartSize                ExceptionCode = 21157 // A package part has an invalid size.
	CodeTooManyParts                   ExceptionCode = 21161 // Too many package parts.
	CodeInvoiceNotFound                ExceptionCode = 21164 // No invoice with this identifier.
	CodeInvoiceNotYetAvailable         ExceptionCode = 21165 // The invoice is processed but not yet available for download; retry later.
	CodeTechnicalCorrectionUnavailable ExceptionCode = 21166 // Technical correction unavailable: the invoice already has a processed correction.
	CodeTechnicalCorrectionNotAllowed  ExceptionCode = 21167 // The invoice status does not allow a technical correction.
	CodeSessionNotFound                ExceptionCode = 21173 // No session with this reference number.
	CodeQueryResultNotFound            ExceptionCode = 21175 // No query (export) result with this identifier.
	CodeUPONotFound                    ExceptionCode = 21178 // No UPO matches the criteria.
	CodeSessionStatusForbids           ExceptionCode = 21180 // The session status does not allow the operation.
	CodeInvalidExportRequest           ExceptionCode = 21181 // Invalid invoice export request for this subject type and context.
	CodeExportLimit                    ExceptionCode = 21182 // Too many exports in progress; retry later.
	CodeDateRangeBeyondData            ExceptionCode = 21183 // The date range lies beyond the available data.
	CodeSessionTemporarilyUnavailable  ExceptionCode = 21184 // The session is temporarily unavailable (maintenance); retry later or open a new session.
	CodeEmptyPackage                   ExceptionCode = 21205 // A declared package part was not uploaded.
	CodeUploadTimeout                  ExceptionCode = 21208 // The upload or close time limit expired; the session was cancelled.
	CodeInvalidEncoding                ExceptionCode = 21217 // Invalid character encoding.
	CodeNotAuthorized                  ExceptionCode = 21301 // Not authorised: tokens already redeemed, authentication not successful, or KSeF token revoked.
	CodeNotAuthenticated               ExceptionCode = 21304 // No such authentication operation.
	CodeDeceasedPerson                 ExceptionCode = 21308 // Attempt to use the authentication methods of a deceased person.
	CodeSchemaViolation                ExceptionCode = 21401 // The document does not conform to its XML schema.
	CodeInvalidFileSize                ExceptionCode = 21402 // The content length does not match the declared size.
	CodeInvalidFileHash                ExceptionCode = 21403 // The content hash does not match the declared hash.
	CodeValidation                     ExceptionCode = 21405 // Input validation failed.
	CodeSignatureAuthTypeConflict      ExceptionCode = 21406 // The signature conflicts with the authentication type.
	CodeInvalidContinuationToken       ExceptionCode = 21418 // Malformed continuation token.
	CodeUnknownPublicKey               ExceptionCode = 21470 // Unknown or withdrawn public key; download the public keys again.
	CodeCSRDataUnavailable             ExceptionCode = 25001 // Certificate request data is not available for this authentication method.
	CodeEnrollmentNotAllowed           ExceptionCode = 25002 // Certificate enrollment is not allowed for this authentication method.
	CodeCSRDataMismatch                ExceptionCode = 25003 // The CSR data do not match the authentication data.
	CodeInvalidCSR                     ExceptionCode = 25004 // Invalid CSR format or signature.
	CodeEnrollmentNotFound             ExceptionCode = 25005 // No certificate enrollment with this reference number.
	CodeEnrollmentLimit                ExceptionCode = 25006 // Certificate enrollment limit reached.
	CodeCertificateLimit               ExceptionCode = 25007 // Limit of held certificates reached.
	CodeCertificateNotFound            ExceptionCode = 25008 // No certificate with this serial number.
	CodeCertificateNotRevocable        ExceptionCode = 25009 // The certificate is already revoked, blocked or invalid.
	CodeInvalidKey                     ExceptionCode = 25010 // Invalid key type or length.
	CodeInvalidCSRSignatureAlgorithm   ExceptionCode = 25011 // Invalid CSR signature algorithm.
	CodeTokenPermissionsNotHeld        ExceptionCode = 26001 // A token cannot get permissions its author does not hold.
	CodeTokenContextNotAllowed         ExceptionCode = 26002 // Tokens cannot be generated in the current context type.
	CodeAlreadyExists                  ExceptionCode = 30001 // The subject or permission already exists.
	CodeCollectiveInvoiceNotFound      ExceptionCode = 71001 // No invoice with this KSeF number (collective identifier).
	CodeCollectiveIdentifierLimit      ExceptionCode = 71002 // The invoice already belongs to the maximum number of collective identifiers.
	CodeCollectiveDifferentSellers     ExceptionCode = 71004 // The invoices have different sellers.
	CodeCollectiveDuplicateKSeFNumber  ExceptionCode = 71005 // A KSeF number is repeated in the request.
)

type codeInfo struct {
	name, desc string
}

var exceptionCodes = map[ExceptionCode]codeInfo{
	CodeInvalidDocument:                {"InvalidDocument", "invalid document"},
	CodeMissingSignature:               {"MissingSignature", "the document has no signature"},
	CodeTooManySignatures:              {"TooManySignatures", "too many signatures in the document"},
	CodeInvalidSignature:               {"InvalidSignature", "invalid signature"},
	CodeUnreadableContent:              {"UnreadableContent", "the request content cannot be read"},
	CodeInvalidChallenge:               {"InvalidChallenge", "invalid or expired authentication challenge"},
	CodeInvalidCertificate:             {"InvalidCertificate", "invalid certificate"},
	CodeInvalidSubjectForContext:       {"InvalidSubjectForContext", "invalid subject identifier for the given context type"},
	CodeSessionInvoiceLimit:            {"SessionInvoiceLimit", "the session reached its invoice limit"},
	CodeInvalidPartSize:                {"InvalidPartSize", "a package part has an invalid size"},
	CodeTooManyParts:                   {"TooManyParts", "too many package parts"},
	CodeInvoiceNotFound:                {"InvoiceNotFound", "no invoice with this identifier"},
	CodeInvoiceNotYetAvailable:         {"InvoiceNotYetAvailable", "the invoice is processed but not yet available for download; retry later"},
	CodeTechnicalCorrectionUnavailable: {"TechnicalCorrectionUnavailable", "technical correction unavailable: the invoice already has a processed correction"},
	CodeTechnicalCorrectionNotAllowed:  {"TechnicalCorrectionNotAllowed", "the invoice status does not allow a technical correction"},
	CodeSessionNotFound:                {"SessionNotFound", "no session with this reference number"},
	CodeQueryResultNotFound:            {"QueryResultNotFound", "no query (export) result with this identifier"},
	CodeUPONotFound:                    {"UPONotFound", "no UPO matches the criteria"},
	CodeSessionStatusForbids:           {"SessionStatusForbids", "the session status does not allow the operation"},
	CodeInvalidExportRequest:           {"InvalidExportRequest", "invalid invoice export request for this subject type and context"},
	CodeExportLimit:                    {"ExportLimit", "too many exports in progress; retry later"},
	CodeDateRangeBeyondData:            {"DateRangeBeyondData", "the date range lies beyond the available data"},
	CodeSessionTemporarilyUnavailable:  {"SessionTemporarilyUnavailable", "the session is temporarily unavailable (maintenance); retry later or open a new session"},
	CodeEmptyPackage:                   {"EmptyPackage", "a declared package part was not uploaded"},
	CodeUploadTimeout:                  {"UploadTimeout", "the upload or close time limit expired; the session was cancelled"},
	CodeInvalidEncoding:                {"InvalidEncoding", "invalid character encoding"},
	CodeNotAuthorized:                  {"NotAuthorized", "not authorised: tokens already redeemed, authentication not successful, or KSeF token revoked"},
	CodeNotAuthenticated:               {"NotAuthenticated", "no such authentication operation"},
	CodeDeceasedPerson:                 {"DeceasedPerson", "attempt to use the authentication methods of a deceased person"},
	CodeSchemaViolation:                {"SchemaViolation", "the document does not conform to its XML schema"},
	CodeInvalidFileSize:                {"InvalidFileSize", "the content length does not match the declared size"},
	CodeInvalidFileHash:                {"InvalidFileHash", "the content hash does not match the declared hash"},
	CodeValidation:                     {"Validation", "input validation failed"},
	CodeSignatureAuthTypeConflict:      {"SignatureAuthTypeConflict", "the signature conflicts with the authentication type"},
	CodeInvalidContinuationToken:       {"InvalidContinuationToken", "malformed continuation token"},
	CodeUnknownPublicKey:               {"UnknownPublicKey", "unknown or withdrawn public key; download the public keys again"},
	CodeCSRDataUnavailable:             {"CSRDataUnavailable", "certificate request data is not available for this authentication method"},
	CodeEnrollmentNotAllowed:           {"EnrollmentNotAllowed", "certificate enrollment is not allowed for this authentication method"},
	CodeCSRDataMismatch:                {"CSRDataMismatch", "the CSR data do not match the authentication data"},
	CodeInvalidCSR:                     {"InvalidCSR", "invalid CSR format or signature"},
	CodeEnrollmentNotFound:             {"EnrollmentNotFound", "no certificate enrollment with this reference number"},
	CodeEnrollmentLimit:                {"EnrollmentLimit", "certificate enrollment limit reached"},
	CodeCertificateLimit:               {"CertificateLimit", "limit of held certificates reached"},
	CodeCertificateNotFound:            {"CertificateNotFound", "no certificate with this serial number"},
	CodeCertificateNotRevocable:        {"CertificateNotRevocable", "the certificate is already revoked, blocked or invalid"},
	CodeInvalidKey:                     {"InvalidKey", "invalid key type or length"},
	CodeInvalidCSRSignatureAlgorithm:   {"InvalidCSRSignatureAlgorithm", "invalid CSR signature algorithm"},
	CodeTokenPermissionsNotHeld:        {"TokenPermissionsNotHeld", "a token cannot get permissions its author does not hold"},
	CodeTokenContextNotAllowed:         {"TokenContextNotAllowed", "tokens cannot be generated in the current context type"},
	CodeAlreadyExists:                  {"AlreadyExists", "the subject or permission already exists"},
	CodeCollectiveInvoiceNotFound:      {"CollectiveInvoiceNotFound", "no invoice with this KSeF number (collective identifier)"},
	CodeCollectiveIdentifierLimit:      {"CollectiveIdentifierLimit", "the invoice already belongs to the maximum number of collective identifiers"},
	CodeCollectiveDifferentSellers:     {"CollectiveDifferentSellers", "the invoices have different sellers"},
	CodeCollectiveDuplicateKSeFNumber:  {"CollectiveDuplicateKSeFNumber", "a KSeF number is repeated in the request"},
}

// String returns the constant's name without the "Code" prefix, e.g.
// "UnknownPublicKey", or the number for unknown codes.
func (c ExceptionCode) String() string {
	if i, ok := exceptionCodes[c]; ok {
		return i.name
	}
	return strconv.Itoa(int(c))
}

// Description returns a one-line English explanation of the code, or ""
// for unknown codes.
func (c ExceptionCode) Description() string {
	return exceptionCodes[c].desc
}

// Known reports whether the code is one documented in API 2.8.1.
func (c ExceptionCode) Known() bool {
	_, ok := exceptionCodes[c]
	return ok
}

// AuthStatusCode is the status code of an authentication operation
// (GET /auth/{referenceNumber}).
type AuthStatusCode int

// Authentication status codes.
const (
	AuthStatusInProgress    AuthStatusCode = 100 // Authentication in progress.
	AuthStatusSuccess       AuthStatusCode = 200 // Authentication succeeded.
	AuthStatusNoPermissions AuthStatusCode = 415 // Authentication failed: no permissions assigned.
	AuthStatusRevoked       AuthStatusCode = 425 // Authentication revoked.
	AuthStatusInvalidToken  AuthStatusCode = 450 // Authentication failed: invalid challenge or token (invalid, expired, revoked, inactive, badly encrypted or not usable in the context).
	AuthStatusCertificate   AuthStatusCode = 460 // Authentication failed: certificate error (invalid, untrusted or broken chain, revoked, suspended).
	AuthStatusDeceased      AuthStatusCode = 470 // Authentication failed: the person is deceased.
	AuthStatusBlocked       AuthStatusCode = 480 // Authentication blocked: suspected security incident.
	AuthStatusUnknownError  AuthStatusCode = 500 // Unknown error.
	AuthStatusCancelled     AuthStatusCode = 550 // Cancelled by the system; retry.
)

var authStatusText = map[AuthStatusCode]string{
	AuthStatusInProgress:    "authentication in progress",
	AuthStatusSuccess:       "authentication succeeded",
	AuthStatusNoPermissions: "authentication failed: no permissions assigned",
	AuthStatusRevoked:       "authentication revoked",
	AuthStatusInvalidToken:  "authentication failed: invalid challenge or token (invalid, expired, revoked, inactive, badly encrypted or not usable in the context)",
	AuthStatusCertificate:   "authentication failed: certificate error (invalid, untrusted or broken chain, revoked, suspended)",
	AuthStatusDeceased:      "authentication failed: the person is deceased",
	AuthStatusBlocked:       "authentication blocked: suspected security incident",
	AuthStatusUnknownError:  "unknown error",
	AuthStatusCancelled:     "cancelled by the system; retry",
}

// String returns a short English description of the code.
func (c AuthStatusCode) String() string {
	if s, ok := authStatusText[c]; ok {
		return s
	}
	return "auth status " + strconv.Itoa(int(c))
}

// Sentinel errors matched (errors.Is) by the *[StatusError] of a failed
// authentication.
var (
	ErrAuthNoPermissions = errors.New("ksef: authentication failed: no permissions (415)")
	ErrAuthRevoked       = errors.New("ksef: authentication revoked (425)")
	ErrAuthInvalidToken  = errors.New("ksef: authentication failed: invalid challenge or token (450)")
	ErrAuthCertificate   = errors.New("ksef: authentication failed: certificate error (460)")
	ErrAuthDeceased      = errors.New("ksef: authentication failed: deceased person (470)")
	ErrAuthBlocked       = errors.New("ksef: authentication blocked (480)")
	ErrAuthUnknown       = errors.New("ksef: authentication failed: unknown error (500)")
	ErrAuthCancelled     = errors.New("ksef: authentication cancelled by the system (550)")
)

func init() {
	for code, err := range map[AuthStatusCode]error{
		AuthStatusNoPermissions: ErrAuthNoPermissions,
		AuthStatusRevoked:       ErrAuthRevoked,
		AuthStatusInvalidToken:  ErrAuthInvalidToken,
		AuthStatusCertificate:   ErrAuthCertificate,
		AuthStatusDeceased:      ErrAuthDeceased,
		AuthStatusBlocked:       ErrAuthBlocked,
		AuthStatusUnknownError:  ErrAuthUnknown,
		AuthStatusCancelled:     ErrAuthCancelled,
	} {
		registerStatusSentinel("auth", int(code), err)
	}
}
