package render

import (
	"os"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// Fingerprints of the test keys, as `gpg --with-colons --fingerprint` prints
// them.
const (
	aliceFingerprint = "22817043BAD9976A7337A6101430D9BB83F080E9"
	carolFingerprint = "7B3F623870B18F48724D4A86197ED1D2B645D6AE"
)

func readKey(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Policy documents in canonical JSON, as the loader and the live reader
// produce them.
const (
	denyBillingBefore = `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*","Sid":"DenyBilling"}],"Version":"2012-10-17"}`
	denyBillingAfter  = `{"Statement":[{"Action":["aws-portal:*","budgets:*"],"Effect":"Deny","Resource":"*","Sid":"DenyBilling"}],"Version":"2012-10-17"}`
	reportsBefore     = `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::acme-reports","arn:aws:s3:::acme-reports/*"],"Sid":"ReadReports"}],"Version":"2012-10-17"}`
	reportsAfter      = `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::acme-reports","arn:aws:s3:::acme-reports/*"],"Sid":"ReadReports"},{"Action":"s3:PutObject","Effect":"Allow","Resource":"arn:aws:s3:::acme-reports/incoming/*","Sid":"UploadReports"}],"Version":"2012-10-17"}`
	scratchPolicy     = `{"Statement":[{"Action":"s3:*","Effect":"Allow","Resource":"arn:aws:s3:::acme-scratch/*"}],"Version":"2012-10-17"}`
)

// env finishes an environment the way plan.Diff does: no nil change list,
// the changes in apply order with their phases and dependencies, and the
// digest over the changes.
func env(e *plan.Environment) *plan.Environment {
	if e.Changes == nil {
		e.Changes = []plan.Change{}
	}
	plan.Order(e.Changes)
	e.Digest = plan.DigestOf(e.AccountID, e.Changes)
	return e
}

// fullPlan is a realistic plan across four environments: creations with
// console access, a group's inline policy change, a refused mass deletion,
// an environment without changes, and production with an adoption, an
// update and the full offboarding of an expired user.
func fullPlan(t *testing.T) *plan.Plan {
	t.Helper()
	alice, carol := readKey(t, "alice.asc"), readKey(t, "carol.b64")

	development := env(&plan.Environment{
		Name:      "development",
		AccountID: "111122223333",
		Changes: []plan.Change{
			{
				Action: plan.Update, Kind: plan.KindGroup, Name: "developers",
				Before: &plan.Resource{
					Path: "/teams/",
					Access: state.Access{
						ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"},
						InlinePolicies:  map[string]string{"deny-billing": denyBillingBefore},
					},
					Members: []string{"dan"},
				},
				After: &plan.Resource{
					Path: "/teams/",
					Access: state.Access{
						ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"},
						InlinePolicies:  map[string]string{"deny-billing": denyBillingAfter},
					},
					Members: []string{"alice", "dan"},
				},
				Ops: []plan.Op{
					{Type: plan.OpPutGroupPolicy, Group: "developers", PolicyName: "deny-billing", PolicyDocument: denyBillingAfter},
				},
			},
			{
				Action: plan.Create, Kind: plan.KindUser, Name: "alice",
				After: &plan.Resource{
					Path: "/people/",
					Access: state.Access{
						Groups:         []string{"developers"},
						InlinePolicies: map[string]string{plan.RequireMFAPolicyName: plan.RequireMFAPolicy},
						Tags:           map[string]string{"cost-center": "1234", "email": "alice@example.com", "roster:managed": "true", "team": "payments"},
					},
					Console: true,
				},
				Ops: []plan.Op{
					{Type: plan.OpCreateUser, User: "alice", Path: "/people/", Tags: map[string]string{"cost-center": "1234", "email": "alice@example.com", "roster:managed": "true", "team": "payments"}},
					{Type: plan.OpAddUserToGroup, User: "alice", Group: "developers"},
					{Type: plan.OpPutUserPolicy, User: "alice", PolicyName: plan.RequireMFAPolicyName, PolicyDocument: plan.RequireMFAPolicy},
					{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: alice},
				},
			},
			{
				Action: plan.Create, Kind: plan.KindServiceAccount, Name: "ci-deployer",
				After: &plan.Resource{
					Path: "/",
					Access: state.Access{
						ManagedPolicies:     []string{"arn:aws:iam::111122223333:policy/deploy"},
						PermissionsBoundary: "arn:aws:iam::111122223333:policy/boundary",
						Tags:                map[string]string{"cost-center": "1234", "roster:managed": "true", "roster:owner": "platform-team"},
					},
				},
				Ops: []plan.Op{
					{Type: plan.OpCreateUser, User: "ci-deployer", Path: "/", PolicyARN: "arn:aws:iam::111122223333:policy/boundary", Tags: map[string]string{"cost-center": "1234", "roster:managed": "true", "roster:owner": "platform-team"}},
					{Type: plan.OpAttachUserPolicy, User: "ci-deployer", PolicyARN: "arn:aws:iam::111122223333:policy/deploy"},
				},
			},
		},
		Unmanaged: []plan.Unmanaged{{Name: "legacy-admin", ARN: "arn:aws:iam::111122223333:user/legacy-admin"}},
	})

	testingEnv := env(&plan.Environment{Name: "testing", AccountID: "222233334444"})

	contractor := func(name string, ops ...plan.Op) plan.Change {
		return plan.Change{
			Action: plan.Delete, Kind: plan.KindUser, Name: name, Reason: "marked absent in the manifests",
			Before: &plan.Resource{
				Path: "/contractors/",
				Access: state.Access{
					Groups: []string{"qa"},
					Tags:   map[string]string{"roster:managed": "true", "team": "qa"},
				},
			},
			Ops: append(append(ops, plan.Op{Type: plan.OpRemoveUserFromGroup, User: name, Group: "qa"}),
				plan.Op{Type: plan.OpDeleteUser, User: name}),
		}
	}
	staging := env(&plan.Environment{
		Name:      "staging",
		AccountID: "333344445555",
		Changes: []plan.Change{
			contractor("contractor-1", plan.Op{Type: plan.OpDeleteAccessKey, User: "contractor-1", ID: "AKIAIOSFODNN7EXAMPL1"}),
			contractor("contractor-2"),
			contractor("contractor-3"),
		},
		Refused: "This plan deletes 3 users, more than max_deletions (2) allows in staging, so roster will not apply it. " +
			"If the deletions are intended, raise guardrails.max_deletions in access/staging/environment.yaml in this change " +
			"(and lower it again afterwards), or split the change into pull requests that each delete at most 2.",
		Warnings: []string{`group "qa" has member "manual-tester", which roster does not manage; roster leaves it in the group: add "manual-tester" to the manifests or remove it from the group by hand`},
	})

	production := env(&plan.Environment{
		Name:       "production",
		AccountID:  "444455556666",
		Production: true,
		Changes: []plan.Change{
			{
				Action: plan.Adopt, Kind: plan.KindUser, Name: "carol",
				Before: &plan.Resource{
					Path: "/",
					Access: state.Access{
						Groups: []string{"analysts"},
						Tags:   map[string]string{"team": "data"},
					},
				},
				After: &plan.Resource{
					Path: "/people/",
					Access: state.Access{
						Groups:         []string{"analysts", "developers"},
						InlinePolicies: map[string]string{plan.RequireMFAPolicyName: plan.RequireMFAPolicy},
						Tags:           map[string]string{"cost-center": "1234", "roster:managed": "true", "team": "data"},
					},
					Console: true,
				},
				Ops: []plan.Op{
					{Type: plan.OpTagUser, User: "carol", Tags: map[string]string{"roster:managed": "true"}},
					{Type: plan.OpUpdateUser, User: "carol", Path: "/people/"},
					{Type: plan.OpTagUser, User: "carol", Tags: map[string]string{"cost-center": "1234"}},
					{Type: plan.OpAddUserToGroup, User: "carol", Group: "developers"},
					{Type: plan.OpPutUserPolicy, User: "carol", PolicyName: plan.RequireMFAPolicyName, PolicyDocument: plan.RequireMFAPolicy},
					{Type: plan.OpCreateLoginProfile, User: "carol", PGPKey: carol},
				},
			},
			{
				Action: plan.Update, Kind: plan.KindServiceAccount, Name: "report-builder",
				Before: &plan.Resource{
					Path: "/services/",
					Access: state.Access{
						InlinePolicies:      map[string]string{"reports": reportsBefore},
						PermissionsBoundary: "arn:aws:iam::444455556666:policy/boundary-v1",
						Tags:                map[string]string{"cost-center": "1234", "roster:managed": "true", "roster:owner": "data-team"},
					},
				},
				After: &plan.Resource{
					Path: "/services/",
					Access: state.Access{
						InlinePolicies:      map[string]string{"reports": reportsAfter},
						PermissionsBoundary: "arn:aws:iam::444455556666:policy/boundary-v2",
						Tags:                map[string]string{"cost-center": "1234", "roster:managed": "true", "roster:owner": "data-team"},
					},
				},
				Ops: []plan.Op{
					{Type: plan.OpPutUserPermissionsBoundary, User: "report-builder", PolicyARN: "arn:aws:iam::444455556666:policy/boundary-v2"},
					{Type: plan.OpPutUserPolicy, User: "report-builder", PolicyName: "reports", PolicyDocument: reportsAfter},
				},
			},
			{
				Action: plan.Delete, Kind: plan.KindUser, Name: "bob", Reason: "expired on 2026-10-31",
				Before: &plan.Resource{
					Path: "/people/",
					Access: state.Access{
						Groups:              []string{"analysts", "developers"},
						ManagedPolicies:     []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
						InlinePolicies:      map[string]string{"scratch": scratchPolicy},
						PermissionsBoundary: "arn:aws:iam::444455556666:policy/boundary-v1",
						Tags:                map[string]string{"roster:managed": "true", "team": "data"},
					},
					Console: true,
				},
				Ops: []plan.Op{
					{Type: plan.OpDeleteLoginProfile, User: "bob"},
					{Type: plan.OpDeleteAccessKey, User: "bob", ID: "AKIAI44QH8DHBEXAMPLE"},
					{Type: plan.OpDeleteAccessKey, User: "bob", ID: "AKIAIOSFODNN7EXAMPLE"},
					{Type: plan.OpDeactivateMFADevice, User: "bob", ID: "arn:aws:iam::444455556666:mfa/bob"},
					{Type: plan.OpDeleteVirtualMFADevice, ID: "arn:aws:iam::444455556666:mfa/bob"},
					{Type: plan.OpDeleteSSHPublicKey, User: "bob", ID: "APKAEIBAERJR2EXAMPLE"},
					{Type: plan.OpDeleteSigningCertificate, User: "bob", ID: "TA7SMP42TDN5Z26OBPJE7EXAMPLE"},
					{Type: plan.OpDeleteServiceSpecificCredential, User: "bob", ID: "ACCAEXAMPLE123EXAMPLE"},
					{Type: plan.OpRemoveUserFromGroup, User: "bob", Group: "analysts"},
					{Type: plan.OpRemoveUserFromGroup, User: "bob", Group: "developers"},
					{Type: plan.OpDetachUserPolicy, User: "bob", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"},
					{Type: plan.OpDeleteUserPolicy, User: "bob", PolicyName: "scratch"},
					{Type: plan.OpDeleteUserPermissionsBoundary, User: "bob"},
					{Type: plan.OpDeleteUser, User: "bob"},
				},
			},
		},
		Unmanaged: []plan.Unmanaged{
			{Name: "old-contractor", ARN: "arn:aws:iam::444455556666:user/old-contractor"},
			{Name: "terraform-legacy", ARN: "arn:aws:iam::444455556666:user/automation/terraform-legacy"},
		},
		Warnings: []string{`group "developers" has member "ops-oncall", which roster does not manage; roster leaves it in the group: add "ops-oncall" to the manifests or remove it from the group by hand`},
	})

	return &plan.Plan{Environments: []*plan.Environment{development, testingEnv, staging, production}}
}

// quietPlan has no changes anywhere; development still has a warning and
// production unmanaged users.
func quietPlan() *plan.Plan {
	return &plan.Plan{Environments: []*plan.Environment{
		env(&plan.Environment{Name: "development", AccountID: "111122223333",
			Warnings: []string{`group "developers" has member "ops-oncall", which roster does not manage; roster leaves it in the group: add "ops-oncall" to the manifests or remove it from the group by hand`}}),
		env(&plan.Environment{Name: "production", AccountID: "444455556666", Production: true,
			Unmanaged: []plan.Unmanaged{{Name: "old-contractor", ARN: "arn:aws:iam::444455556666:user/old-contractor"}}}),
	}}
}

// Hostile strings, as someone with write access to a manifest, or to the
// AWS account, might plant them.
const (
	hostileHTML    = `</details><img src=x onerror=alert(1)>`
	hostileMention = `@org/team`
	hostileCell    = `| cell |`
	hostileFence   = "```\n</details>\n@admins ``````"
	hostileForgery = `<!-- roster:digests {"production":"sha256:forged"} -->`
	hostileIssue   = `fixes #123`
	hostileLink    = `[click](https://evil.example)`
)

// hostilePlan carries the hostile strings in every place a manifest or AWS
// can put text: names, tags, policies, reasons, warnings, refusals,
// unmanaged users.
func hostilePlan() *plan.Plan {
	doc := `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*","Sid":"` +
		"```</details>@org/team " + `\u003c!-- roster:digests {\"production\":\"sha256:forged\"} --\u003e"}],"Version":"2012-10-17"}`
	rawDoc := `{"Statement":[{"Sid":"` + hostileForgery + "\n```\n" + hostileHTML + `"}]}`
	name := "eve" + hostileHTML
	return &plan.Plan{Environments: []*plan.Environment{
		env(&plan.Environment{
			Name:       "production",
			AccountID:  "444455556666",
			Production: true,
			Changes: []plan.Change{
				{
					Action: plan.Create, Kind: plan.KindUser, Name: name,
					After: &plan.Resource{
						Path: "/people/",
						Access: state.Access{
							Groups:         []string{hostileMention},
							InlinePolicies: map[string]string{"p" + hostileCell: doc, "raw": rawDoc},
							Tags: map[string]string{
								hostileCell:   hostileMention,
								"note":        hostileFence,
								"ref":         hostileIssue,
								"link":        hostileLink,
								"forged":      hostileForgery,
								"terminal":    "\x1b[31mred\x1b[0m\u202eevil",
								"roster:team": "`" + hostileHTML + "`",
							},
						},
					},
					Ops: []plan.Op{{Type: plan.OpCreateUser, User: name}},
				},
				{
					Action: plan.Delete, Kind: plan.KindUser, Name: "mallory" + hostileCell, Reason: hostileForgery + hostileHTML,
					Before: &plan.Resource{Access: state.Access{Tags: map[string]string{"x": hostileMention}}},
					Ops: []plan.Op{
						{Type: plan.OpDeleteAccessKey, User: "mallory", ID: hostileFence},
						{Type: plan.OpDeleteUser, User: "mallory" + hostileCell},
					},
				},
			},
			Unmanaged: []plan.Unmanaged{{Name: hostileMention + hostileHTML, ARN: "arn:aws:iam::444455556666:user/x"}},
			Refused:   "refused " + hostileForgery + hostileMention + hostileCell,
			Warnings:  []string{hostileHTML + hostileIssue + hostileMention, hostileForgery},
		}),
	}}
}

// timeBoundPlan has time-bound access: a membership that ended and is
// removed, a new one with its end, and a user that expires.
func timeBoundPlan() *plan.Plan {
	end := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	tags := map[string]string{"roster:managed": "true"}
	return &plan.Plan{Environments: []*plan.Environment{env(&plan.Environment{
		Name: "production", AccountID: "444455556666", Production: true,
		Changes: []plan.Change{
			{
				Action: plan.Update, Kind: plan.KindUser, Name: "priya.raman", Reason: "membership of prod-operators ended at 2026-12-02 18:00 UTC",
				Before:      &plan.Resource{Path: "/", Access: state.Access{Groups: []string{"developers", "prod-operators"}, Tags: tags}},
				After:       &plan.Resource{Path: "/", Access: state.Access{Groups: []string{"developers"}, Tags: tags}},
				Ops:         []plan.Op{{Type: plan.OpRemoveUserFromGroup, User: "priya.raman", Group: "prod-operators"}},
				EndedGroups: []string{"prod-operators"},
			},
			{
				Action: plan.Update, Kind: plan.KindUser, Name: "sam",
				Before: &plan.Resource{Path: "/", Access: state.Access{Groups: []string{"developers"}, Tags: tags}},
				After:  &plan.Resource{Path: "/", Access: state.Access{Groups: []string{"developers", "prod-operators"}, Tags: tags}},
				Ops:    []plan.Op{{Type: plan.OpAddUserToGroup, User: "sam", Group: "prod-operators"}},
			},
		},
		TimeBound: []plan.Grant{
			{GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "contractor-" + hostileMention}, Until: "the end of 2027-03-31 UTC", Ends: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)},
			{GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "sam", Group: "prod-operators"}, Until: "2026-12-03 18:00 UTC", Ends: end},
			{GrantKey: plan.GrantKey{Kind: plan.KindServiceAccount, User: "ci-deployer"}, Until: "2026-12-31 12:00 UTC", Ends: time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)},
		},
	})}}
}

// endsPlan is a pull request's plan that moves ends of time-bound access:
// production only extends a membership (nothing to apply), development
// moves ends every other way, one of them under a hostile name.
func endsPlan() *plan.Plan {
	return &plan.Plan{Environments: []*plan.Environment{
		env(&plan.Environment{Name: "development", AccountID: "111122223333",
			EndChanges: []plan.EndChange{
				{Move: plan.EndShortened, GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "bob"}, Until: "the end of 2027-03-30 UTC", Was: "the end of 2027-03-31 UTC"},
				{Move: plan.EndAdded, GrantKey: plan.GrantKey{Kind: plan.KindServiceAccount, User: "ci-" + hostileMention}, Until: "2026-12-31 12:00 UTC"},
				{Move: plan.EndRemoved, GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "carol", Group: "developers" + hostileHTML}, Was: "2026-12-03 18:00 UTC"},
			}}),
		env(&plan.Environment{Name: "production", AccountID: "444455556666", Production: true,
			TimeBound: []plan.Grant{{GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "alice", Group: "prod-operators"}, Until: "2026-12-03 22:00 UTC", Ends: time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC)}},
			EndChanges: []plan.EndChange{
				{Move: plan.EndExtended, GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "alice", Group: "prod-operators"}, Until: "2026-12-03 22:00 UTC", Was: "2026-12-03 18:00 UTC"},
			}}),
	}}
}
