package sdk

// StatusInfo is outside wire_ files and not scanned.
type StatusInfo struct{}
