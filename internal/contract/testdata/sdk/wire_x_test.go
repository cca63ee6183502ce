package sdk

// ExceptionResponse lives in a test file and is not scanned.
type ExceptionResponse struct{}
