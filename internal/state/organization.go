package state

// OrgAccount is one account of the AWS Organization, as drift sees it.
type OrgAccount struct {
	ID   string
	Name string
	// State is the account's lifecycle state as Organizations reports it:
	// ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED or PENDING_ACTIVATION.
	State string
	// Inventoried is set when the account's IAM users were read (Users,
	// sorted); Unread says why they were not, when they were asked for.
	Inventoried bool
	Users       []string
	Unread      string
}

// AccountActive is the State of an account in use.
const AccountActive = "ACTIVE"
