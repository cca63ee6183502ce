//go:build never

package sdk

// TokenStatusResponse is excluded by its build tag.
type TokenStatusResponse struct{}
