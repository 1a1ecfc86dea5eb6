// Package manifest loads and validates the access/ tree (roster.yaml,
// environment.yaml and manifest files) into the desired state of every
// environment. It reports every problem at once, each with file, line and
// column, and never touches AWS.
//
// Decoding is strict and works on YAML nodes, so every finding has a
// position: unknown fields, duplicate keys, wrong types, unquoted account
// IDs, merge keys, multi-document files, non-UTF-8 text and files over
// MaxFileSize are all errors. Empty files are fine.
//
// Every finding carries a stable rule identifier (diag.Diagnostic.Rule):
//
//	access-dir                    the access directory is missing or not a folder
//	file-read                     a file or folder cannot be read
//	file-too-large                a file is over 1 MiB
//	file-encoding                 not UTF-8, or a control character YAML forbids
//	symlink                       a link leaves the access directory, is broken, or names a folder
//	file-outside-environment      a YAML file in the access root other than roster.yaml
//	environment-file-missing      an environment folder without environment.yaml
//	environment-file-location     environment.yaml or roster.yaml below an environment folder
//	environment-name              a folder name that is not [a-z0-9][a-z0-9-]*
//	yaml-syntax                   a YAML syntax error
//	yaml-multiple-documents       more than one document in a file
//	yaml-merge-key                a << merge key
//	yaml-aliases                  aliases that expand to too many values
//	unknown-field                 a field the contract does not have
//	duplicate-key                 a key given twice in one mapping
//	wrong-type                    a value of the wrong type (the message names the expected one)
//	required-field                name or account_id missing
//	account-id-quoted             a 12-digit account_id YAML reads as a number
//	account-id-syntax             an account_id that is not 12 digits
//	account-id-unique             two environments with one account
//	role-arn                      role_arn or plan_role_arn not a role ARN of the environment's account
//	region                        region is not an AWS region name
//	order-unknown-environment     roster.yaml order names a missing folder
//	order-duplicate               an environment listed twice in order
//	guardrail-range               max_deletions or max_access_key_age_days below 0
//	approvals                     approvals.required below 1, a reviewer that is no login or org/team, unmeetable
//	unmanaged-glob                an unmanaged.ignore pattern path.Match rejects
//	ownership-tag                 ownership_tag and owner_tag are the same key
//	user-name, group-name         IAM name syntax and length (64 and 128)
//	inline-policy-name            inline policy name syntax and length (128)
//	path                          IAM path syntax and length (512)
//	user-name-unique              a user or service account name used twice (case-insensitive)
//	group-name-unique             a group name used twice (case-insensitive)
//	group-unknown                 a user in a group the environment does not declare
//	group-absent                  a user in a group marked absent
//	duplicate-entry               a group or managed policy listed twice
//	managed-policy-arn            managed policy ARN syntax
//	managed-policy-account        a customer managed policy of another account
//	managed-policy-count          more than 10 (warning) or 20 (error) managed policies
//	permissions-boundary-arn      boundary ARN syntax
//	permissions-boundary-account  a boundary of another account
//	arn-partition                 ARNs of more than one partition in an environment
//	inline-policy-document        an inline policy that is not a mapping
//	inline-policy-grammar         a policy grammar problem (package policy)
//	inline-policy-size            inline policies over 2,048 (user) or 5,120 (group) characters
//	groups-per-user               a user in more than 10 groups
//	tag-key, tag-value            tag syntax and length (128 and 256)
//	tag-aws-prefix                a tag key starting with aws:
//	tag-reserved                  the ownership, owner or password tag set by hand
//	tag-count                     more than 50 tags, counting defaults and roster's own
//	tag-duplicate                 tag keys that differ only in case
//	console-pgp-key               console: true without a usable OpenPGP encryption key
//	pgp-key-unused                pgp_key without console (warning)
//	service-account-owner         a service account without a usable owner
//	expires-format                expires is neither a date YYYY-MM-DD nor an RFC 3339 time
//	expired                       an expires (user or membership) has passed: removed by the next apply or expire run (warning)
//	elevation-too-long            a time-bound membership ends more than guardrails.max_elevation_hours from now
//	forbidden-managed-policy      a forbidden policy, directly or through a group
package manifest
