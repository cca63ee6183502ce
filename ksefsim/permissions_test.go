package ksefsim

// permissionOps are the permission operations the simulator serves.
var permissionOps = []string{
	"DELETE /permissions/authorizations/grants/{permissionId}", "DELETE /permissions/common/grants/{permissionId}",
	"GET /permissions/attachments/status", "GET /permissions/operations/{referenceNumber}",
	"GET /permissions/query/entities/roles",
	"POST /permissions/authorizations/grants", "POST /permissions/entities/grants",
	"POST /permissions/eu-entities/administration/grants", "POST /permissions/eu-entities/grants",
	"POST /permissions/indirect/grants", "POST /permissions/persons/grants",
	"POST /permissions/query/authorizations/grants", "POST /permissions/query/entities/grants",
	"POST /permissions/query/eu-entities/grants", "POST /permissions/query/personal/grants",
	"POST /permissions/query/persons/grants", "POST /permissions/query/subordinate-entities/roles",
	"POST /permissions/query/subunits/grants", "POST /permissions/subunits/grants",
}
