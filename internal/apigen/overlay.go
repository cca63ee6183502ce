package apigen

// This file is the hand-written overlay of the generator: the facts the
// OpenAPI document does not state (or states in a way Go should not copy)
// and that the generated code must carry.

// typeNames renames schemas whose spec name would mislead in Go. The spec
// name stays in the type's doc comment and in the schema table of the tests.
var typeNames = map[string]string{
	// The spec's ApiError is one entry of a problem-details body; the SDK's
	// error type is *APIError. One exported name per meaning.
	"ApiError": "APIErrorDetail",
}

// fieldTypes overrides the Go type of single properties ("Schema.property").
// Whether the field is omitempty still follows the schema (optional
// properties are omitempty).
var fieldTypes = map[string]string{
	// Tokens print as REDACTED.
	"TokenInfo.token":             "Secret",
	"GenerateTokenResponse.token": "Secret",
	// KSeF has been observed to send this timestamp without a UTC offset,
	// which time.Time cannot parse.
	"ExceptionInfo.timestamp": "string",
	// The reason codes are documented in a table of the description, not as
	// an enum; the SDK keeps its typed constants (errors.go).
	"ForbiddenProblemDetails.reasonCode": "ForbiddenReasonCode",
	// An inline object of exactly StatusInfo's properties.
	"TooManyRequestsResponse.status": "StatusInfo",
	// Key identifiers and the encrypted token are opaque Base64 texts that
	// the SDK passes on unchanged; format byte would decode them.
	"PublicKeyCertificate.publicKeyId":              "string",
	"InitTokenAuthenticationRequest.publicKeyId":    "string",
	"InitTokenAuthenticationRequest.encryptedToken": "string",
	"EncryptionInfo.publicKeyId":                    "string",
	"PublicKeyCertificate.certificateId":            "string",
	// Optional flags and codes kept as plain values (false/0 and absent mean
	// the same), as the hand-written wire types had them.
	"AuthenticationListItem.isCurrent": "bool",
	"PersonCreateRequest.isDeceased":   "bool",
	"ExceptionDetails.exceptionCode":   "int32",
}

// enumPrefixes gives the prefix of the constants of an enum schema; the
// default is the schema name. The prefixes keep the constant names of the
// hand-written code (AuthMethodToken, TokenActive, KsefTokenEncryption...).
var enumPrefixes = map[string]string{
	"AuthenticationMethod":         "AuthMethod",
	"AuthenticationMethodCategory": "AuthCategory",
	"AuthenticationTokenStatus":    "Token",
	"TokenPermissionType":          "TokenPerm",
	"SubjectType":                  "Subject",
	"TestDataPermissionType":       "TestDataPerm",
	"PublicKeyCertificateUsage":    "",
}

// enumWithoutConstants lists enum schemas generated as a string type
// without constants: ISO 4217 currency codes are better written as
// literals than as 180 exported names.
var enumWithoutConstants = map[string]bool{
	"CurrencyCode": true,
}

// opOverlay is what the generator cannot read from an operation of the spec.
type opOverlay struct {
	// name is the Go constant (without the "Op" prefix).
	name string
	// group is the Go constant of the rate-limit group; "" means GroupOther.
	group string
	// operationToken marks operations authorised by the authentication
	// operation token or the refresh token instead of the access token.
	operationToken bool
	// retry overrides the retry safety, which is otherwise true for GET,
	// PUT and DELETE (idempotent by HTTP semantics) and false for POST.
	retry *bool
}

var yes = new(true)

// operations names every operation of the spec. The generator fails when
// the spec has an operation missing here (or this table one the spec does
// not have), so a new API version cannot slip past the overlay.
var operations = map[string]opOverlay{
	// Authentication.
	"POST /auth/challenge":        {name: "AuthChallenge", group: "GroupAnonymous", retry: yes},
	"POST /auth/xades-signature":  {name: "AuthXadesSignature", group: "GroupAnonymous"},
	"POST /auth/ksef-token":       {name: "AuthKSeFToken", group: "GroupAnonymous"},
	"GET /auth/{referenceNumber}": {name: "AuthStatus", group: "GroupAnonymous", operationToken: true},
	"POST /auth/token/redeem":     {name: "AuthTokenRedeem", group: "GroupAnonymous", operationToken: true},
	// A refresh only issues a new access token; repeating it is harmless.
	"POST /auth/token/refresh":                {name: "AuthTokenRefresh", group: "GroupAnonymous", operationToken: true, retry: yes},
	"GET /auth/sessions":                      {name: "AuthSessionsList"},
	"DELETE /auth/sessions/current":           {name: "AuthSessionRevokeCurrent"},
	"DELETE /auth/sessions/{referenceNumber}": {name: "AuthSessionRevoke"},
	// Certificates.
	"GET /certificates/limits":                            {name: "CertificateLimits"},
	"GET /certificates/enrollments/data":                  {name: "CertificateEnrollmentData"},
	"POST /certificates/enrollments":                      {name: "CertificateEnroll"},
	"GET /certificates/enrollments/{referenceNumber}":     {name: "CertificateEnrollmentStatus"},
	"POST /certificates/retrieve":                         {name: "CertificatesRetrieve", retry: yes},
	"POST /certificates/{certificateSerialNumber}/revoke": {name: "CertificateRevoke"},
	"POST /certificates/query":                            {name: "CertificatesQuery", retry: yes},
	// Public keys.
	"GET /security/public-key-certificates": {name: "PublicKeyCertificates", group: "GroupAnonymous"},
	// Test data.
	"PUT /testdata/certificates/{serialNumber}":   {name: "TestDataCertificateUpdate"},
	"POST /testdata/subject":                      {name: "TestDataSubjectCreate", group: "GroupAnonymous"},
	"POST /testdata/subject/remove":               {name: "TestDataSubjectRemove", group: "GroupAnonymous"},
	"POST /testdata/person":                       {name: "TestDataPersonCreate", group: "GroupAnonymous"},
	"POST /testdata/person/remove":                {name: "TestDataPersonRemove", group: "GroupAnonymous"},
	"POST /testdata/permissions":                  {name: "TestDataPermissionsGrant", group: "GroupAnonymous"},
	"POST /testdata/permissions/revoke":           {name: "TestDataPermissionsRevoke", group: "GroupAnonymous"},
	"POST /testdata/attachment":                   {name: "TestDataAttachmentGrant", group: "GroupAnonymous"},
	"POST /testdata/attachment/revoke":            {name: "TestDataAttachmentRevoke", group: "GroupAnonymous"},
	"POST /testdata/context/block":                {name: "TestDataContextBlock"},
	"POST /testdata/context/unblock":              {name: "TestDataContextUnblock"},
	"POST /testdata/limits/context/session":       {name: "TestDataSessionLimitsSet"},
	"DELETE /testdata/limits/context/session":     {name: "TestDataSessionLimitsReset"},
	"POST /testdata/limits/subject/certificate":   {name: "TestDataCertificateLimitsSet"},
	"DELETE /testdata/limits/subject/certificate": {name: "TestDataCertificateLimitsReset"},
	"POST /testdata/rate-limits":                  {name: "TestDataRateLimitsSet"},
	"DELETE /testdata/rate-limits":                {name: "TestDataRateLimitsReset"},
	"POST /testdata/rate-limits/production":       {name: "TestDataRateLimitsProduction"},
	// Collective identifiers.
	"POST /collective-identifiers":                  {name: "CollectiveIdentifierCreate", group: "GroupCollectiveID"},
	"POST /collective-identifiers/query":            {name: "CollectiveIdentifiersQuery", group: "GroupCollectiveID", retry: yes},
	"POST /collective-identifiers/invoices":         {name: "CollectiveIdentifierInvoices", group: "GroupCollectiveID", retry: yes},
	"GET /collective-identifiers/ksef/{ksefNumber}": {name: "CollectiveIdentifiersByKSeFNumber", group: "GroupCollectiveID"},
	// Limits.
	"GET /limits/context": {name: "LimitsContext"},
	"GET /limits/subject": {name: "LimitsSubject"},
	"GET /rate-limits":    {name: "RateLimits"},
	// Permissions.
	"POST /permissions/persons/grants":                         {name: "PermissionsGrantPersons"},
	"POST /permissions/entities/grants":                        {name: "PermissionsGrantEntities"},
	"POST /permissions/authorizations/grants":                  {name: "PermissionsGrantAuthorizations"},
	"POST /permissions/indirect/grants":                        {name: "PermissionsGrantIndirect"},
	"POST /permissions/subunits/grants":                        {name: "PermissionsGrantSubunits"},
	"POST /permissions/eu-entities/administration/grants":      {name: "PermissionsGrantEUEntityAdministration"},
	"POST /permissions/eu-entities/grants":                     {name: "PermissionsGrantEUEntities"},
	"DELETE /permissions/common/grants/{permissionId}":         {name: "PermissionRevoke"},
	"DELETE /permissions/authorizations/grants/{permissionId}": {name: "PermissionRevokeAuthorization"},
	"GET /permissions/operations/{referenceNumber}":            {name: "PermissionOperationStatus"},
	"GET /permissions/attachments/status":                      {name: "PermissionAttachmentStatus"},
	"POST /permissions/query/personal/grants":                  {name: "PermissionsQueryPersonal", retry: yes},
	"POST /permissions/query/persons/grants":                   {name: "PermissionsQueryPersons", retry: yes},
	"POST /permissions/query/subunits/grants":                  {name: "PermissionsQuerySubunits", retry: yes},
	"POST /permissions/query/entities/grants":                  {name: "PermissionsQueryEntities", retry: yes},
	"GET /permissions/query/entities/roles":                    {name: "PermissionsQueryEntityRoles"},
	"POST /permissions/query/subordinate-entities/roles":       {name: "PermissionsQuerySubordinateEntityRoles", retry: yes},
	"POST /permissions/query/authorizations/grants":            {name: "PermissionsQueryAuthorizations", retry: yes},
	"POST /permissions/query/eu-entities/grants":               {name: "PermissionsQueryEUEntities", retry: yes},
	// Invoices and exports.
	"GET /invoices/ksef/{ksefNumber}":         {name: "InvoiceDownload", group: "GroupInvoiceDownload"},
	"POST /invoices/query/metadata":           {name: "InvoicesQueryMetadata", group: "GroupInvoiceMetadata", retry: yes},
	"POST /invoices/exports":                  {name: "InvoicesExport", group: "GroupInvoiceExport"},
	"GET /invoices/exports/{referenceNumber}": {name: "InvoicesExportStatus", group: "GroupInvoiceExportStatus"},
	// Sessions.
	"POST /sessions/online":                                                 {name: "OnlineSessionOpen", group: "GroupOnlineSession"},
	"POST /sessions/online/{referenceNumber}/invoices":                      {name: "OnlineSessionSendInvoice", group: "GroupInvoiceSend"},
	"POST /sessions/online/{referenceNumber}/close":                         {name: "OnlineSessionClose", group: "GroupOnlineSessionClose"},
	"POST /sessions/batch":                                                  {name: "BatchSessionOpen", group: "GroupBatchSession"},
	"POST /sessions/batch/{referenceNumber}/close":                          {name: "BatchSessionClose", group: "GroupBatchSessionClose"},
	"GET /sessions":                                                         {name: "SessionsList", group: "GroupSessionList"},
	"GET /sessions/{referenceNumber}":                                       {name: "SessionStatus", group: "GroupSessionMisc"},
	"GET /sessions/{referenceNumber}/invoices":                              {name: "SessionInvoices", group: "GroupSessionInvoiceList"},
	"GET /sessions/{referenceNumber}/invoices/failed":                       {name: "SessionInvoicesFailed", group: "GroupSessionInvoiceList"},
	"GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}":     {name: "SessionInvoiceStatus", group: "GroupInvoiceStatus"},
	"GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo":        {name: "SessionInvoiceUpoByKSeFNumber", group: "GroupSessionMisc"},
	"GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo": {name: "SessionInvoiceUpo", group: "GroupSessionMisc"},
	"GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}":              {name: "SessionUpo", group: "GroupSessionMisc"},
	// KSeF tokens.
	"POST /tokens":                     {name: "TokenGenerate"},
	"GET /tokens":                      {name: "TokensList"},
	"GET /tokens/{referenceNumber}":    {name: "TokenStatus"},
	"DELETE /tokens/{referenceNumber}": {name: "TokenRevoke"},
	// Peppol.
	"GET /peppol/query": {name: "PeppolQuery", group: "GroupAnonymous"},
}
