package ksefsim

// exportStore holds the invoice exports; guarded by Simulator.mu.
type exportStore struct{}

// exportConfig configures exports.
type exportConfig struct{}
