package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/scaffold"
)

func initCommand() *command {
	return &command{
		name:    "init",
		usage:   "(--from-organization [--env-tag KEY] | --env NAME=ACCOUNT_ID...) [--dir DIR] [--region REGION] [--plan-role NAME] [--apply-role NAME] [--force]",
		summary: "create the access tree: roster.yaml and one folder per environment",
		help: `Creates the access directory with roster.yaml and one folder per environment,
each with an environment.yaml: the account, the roles of
deploy/cloudformation/roster-roles.yaml (roster-plan and roster-apply), the
region, production: true for the environment named production, and default
guardrails. Then it says what to do next.

--from-organization reads the AWS Organization with the credentials at hand
(the management account's, or a delegated administrator's: it calls
organizations:ListAccounts, ListParents, DescribeOrganizationalUnit and
ListTagsForResource). Each active account becomes the environment named by
its --env-tag tag when given, else by the innermost OU named like an
environment (Dev, Test or QA, Staging, Prod, spelled out as development,
testing, staging, production). Accounts that map to no environment are
listed, not written.

Without it, name the environments yourself: --env production=444455556666
(repeated, or comma-separated).

Existing files are never overwritten unless --force is given.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := fs.String("dir", manifest.DefaultDir, "the access `directory` to create")
			fromOrg := fs.Bool("from-organization", false, "propose environments from the AWS Organization's accounts")
			envTag := fs.String("env-tag", "", "with --from-organization: the account tag `key` that names the environment")
			var pairs listFlag
			fs.Var(&pairs, "env", "`name=account_id` of an environment (comma-separated or repeated)")
			region := fs.String("region", awsiam.DefaultRegion, "the `region` written to each environment.yaml")
			planRole := fs.String("plan-role", scaffold.DefaultPlanRole, "the read-only role's `name` in every account")
			applyRole := fs.String("apply-role", scaffold.DefaultApplyRole, "the apply role's `name` in every account")
			force := fs.Bool("force", false, "replace existing files")
			return func(ctx context.Context, args []string, env Env) error {
				if len(args) > 0 {
					return usageError("init takes no arguments, got %q", args)
				}
				switch {
				case *fromOrg && len(pairs) > 0:
					return usageError("give --from-organization or --env name=account_id, not both")
				case !*fromOrg && len(pairs) == 0:
					return usageError("init needs --from-organization or --env name=account_id")
				case *envTag != "" && !*fromOrg:
					return usageError("--env-tag only applies with --from-organization")
				}
				var prop *scaffold.Proposal
				if *fromOrg {
					p, err := proposeFromOrganization(ctx, env, *envTag)
					if err != nil {
						return err
					}
					prop = p
				} else {
					envs, err := scaffold.ParsePairs(pairs)
					if err != nil {
						return usageError("%v", err)
					}
					prop = &scaffold.Proposal{Environments: envs}
				}
				printProposal(env.Stdout, prop)
				if len(prop.Environments) == 0 {
					return failf("no account maps to an environment: tag the accounts (--env-tag KEY), or name the environments with --env name=account_id")
				}
				files := scaffold.Files(prop.Environments, scaffold.Options{Region: *region, PlanRole: *planRole, ApplyRole: *applyRole})
				written, kept, err := scaffold.Write(*dir, files, *force)
				if err != nil {
					return &exitError{Code: ExitFailure, Err: err}
				}
				for _, f := range kept {
					fmt.Fprintf(env.Stdout, "  kept %s (it exists; environments it does not order follow the others alphabetically)\n", f)
				}
				printInitNext(env.Stdout, *dir, written, prop.Environments, *planRole, *applyRole)
				return nil
			}
		},
	}
}

func proposeFromOrganization(ctx context.Context, env Env, envTag string) (*scaffold.Proposal, error) {
	conn, err := awsiam.NewConnector(ctx, env.Getenv, awsiam.Concurrency{})
	if err != nil {
		return nil, err
	}
	org, err := conn.Organization(ctx)
	if err != nil {
		return nil, err
	}
	accounts := make([]scaffold.Account, len(org))
	for i, a := range org {
		accounts[i] = scaffold.Account{ID: a.ID, Name: a.Name, State: a.State, OUPath: a.OUPath, Tags: a.Tags}
	}
	p, err := scaffold.Propose(accounts, envTag)
	if err != nil {
		return nil, &exitError{Code: ExitFailure, Err: err}
	}
	fmt.Fprintf(env.Stdout, "Read the AWS Organization: %s.\n", plural(len(org), "account", "accounts"))
	return p, nil
}

func printProposal(w io.Writer, p *scaffold.Proposal) {
	if len(p.Environments) > 0 {
		fmt.Fprintf(w, "Environments:\n")
	}
	for _, e := range p.Environments {
		line := fmt.Sprintf("  %-12s %s", e.Name, e.AccountID)
		if e.Account != "" {
			line += "  " + e.Account
		}
		if e.From != "" && e.From != "--env" {
			line += "  (" + e.From + ")"
		}
		if e.Production() {
			line += "  production: true"
		}
		fmt.Fprintln(w, line)
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintf(w, "Not written (no environment):\n")
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "  %s  %s: %s\n", s.Account.ID, s.Account.Name, s.Reason)
	}
}

func printInitNext(w io.Writer, dir string, written []string, envs []scaffold.Environment, planRole, applyRole string) {
	for _, f := range written {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	fmt.Fprintf(w, "Next:\n")
	fmt.Fprintf(w, "  1. Deploy the roles %s and %s in every environment account: deploy/cloudformation/roster-roles.yaml (docs/setup.md, step 4).\n", planRole, applyRole)
	fmt.Fprintf(w, "  2. Write down the IAM users each account already has, with credentials that may assume %s:\n", planRole)
	for _, n := range names {
		fmt.Fprintf(w, "       roster import --dir %s --env %s\n", dir, n)
	}
	fmt.Fprintf(w, "  3. roster validate --dir %s and roster plan --dir %s (adoptions of the imported users), then open the first pull request with %s (docs/setup.md, step 9).\n", dir, dir, strings.TrimSuffix(dir, "/")+"/")
}
