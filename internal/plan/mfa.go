package plan

// RequireMFAPolicyName is the inline policy roster puts on every console user
// of an environment whose guardrails set console_requires_mfa.
const RequireMFAPolicyName = "roster-require-mfa"

// RequireMFAPolicy is the document of RequireMFAPolicyName, in canonical JSON
// (compact, keys sorted, one-element lists collapsed), so that it compares
// equal to the document IAM returns once package policy normalizes it.
//
// It is AWS's well-known self-service MFA policy: a user may see the account's
// password policy, change their own password and set up, list and resync their
// own MFA device; everything else is denied until they sign in with MFA
// (BoolIfExists also catches long-term access keys, which carry no MFA
// context at all). Readable form:
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [
//	    {"Sid": "AllowViewAccountInfo", "Effect": "Allow",
//	     "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
//	     "Resource": "*"},
//	    {"Sid": "AllowManageOwnPassword", "Effect": "Allow",
//	     "Action": ["iam:ChangePassword", "iam:GetUser"],
//	     "Resource": "arn:aws:iam::*:user/${aws:username}"},
//	    {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
//	     "Action": "iam:CreateVirtualMFADevice",
//	     "Resource": "arn:aws:iam::*:mfa/*"},
//	    {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
//	     "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetMFADevice",
//	                "iam:ListMFADevices", "iam:ResyncMFADevice"],
//	     "Resource": "arn:aws:iam::*:user/${aws:username}"},
//	    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
//	     "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
//	                   "iam:GetAccountPasswordPolicy", "iam:GetMFADevice", "iam:GetUser",
//	                   "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",
//	                   "sts:GetSessionToken"],
//	     "Resource": "*",
//	     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
//	  ]
//	}
const RequireMFAPolicy = `{"Statement":[` +
	`{"Action":["iam:GetAccountPasswordPolicy","iam:ListVirtualMFADevices"],"Effect":"Allow","Resource":"*","Sid":"AllowViewAccountInfo"},` +
	`{"Action":["iam:ChangePassword","iam:GetUser"],"Effect":"Allow","Resource":"arn:aws:iam::*:user/${aws:username}","Sid":"AllowManageOwnPassword"},` +
	`{"Action":"iam:CreateVirtualMFADevice","Effect":"Allow","Resource":"arn:aws:iam::*:mfa/*","Sid":"AllowManageOwnVirtualMFADevice"},` +
	`{"Action":["iam:DeactivateMFADevice","iam:EnableMFADevice","iam:GetMFADevice","iam:ListMFADevices","iam:ResyncMFADevice"],"Effect":"Allow","Resource":"arn:aws:iam::*:user/${aws:username}","Sid":"AllowManageOwnUserMFA"},` +
	`{"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}},"Effect":"Deny","NotAction":["iam:ChangePassword","iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetAccountPasswordPolicy","iam:GetMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Sid":"DenyAllExceptListedIfNoMFA"}` +
	`],"Version":"2012-10-17"}`
