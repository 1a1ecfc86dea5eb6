// Package hygiene is where credential hygiene is computed (hygiene.go) and
// its kinds of findings are declared (kinds.go); the engine calls Check for
// plans and drift, and package render shows the findings. It finds the
// credential hygiene problems of one environment: old and unused access
// keys, unused console passwords, console users without MFA, access keys
// held by people rather than service accounts, and users whose expires
// date is close. Check is a pure function of the manifests, the live state,
// IAM's credential report and the clock; its findings are drift.Findings of
// the hygiene kinds (KeyAge and the others), so the drift report, the drift
// issue and its fingerprint carry them beside the drift. Unmanaged users
// are reported once, by package drift.
//
// Which users. Every user of the credential report (or, without a report,
// of the live state) is checked, except users roster is about to offboard
// (managed users the manifests no longer declare, or whose expires date has
// passed: the drift report already says to remove them) and unmanaged users
// matching unmanaged.ignore (drift stays silent about them, and so does
// hygiene). Without a credential report, only what the live state holds is
// checked: key age, people's keys and MFA, for the users whose credentials
// were read.
//
// Severity. Each kind has a base level, raised one level in a production
// environment, like drift:
//
//   - no-mfa: high when the environment sets console_requires_mfa (the user
//     is locked out of everything but MFA setup, or the policy is missing),
//     medium otherwise;
//   - key-age, unused-key, person-key: medium (a long-lived or forgotten
//     credential anyone who finds it can use);
//   - unused-password: low (the console also needs MFA where it is
//     required);
//   - expiring: always low, in production too: it is a reminder, nothing is
//     wrong yet.
//
// The package imports no SDK.
package hygiene
