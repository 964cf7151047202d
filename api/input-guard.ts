// Strings PostgreSQL cannot store (NUL) or that are not Unicode (lone surrogates), and JSON
// nested past any sane depth, are refused for the whole GraphQL request before it runs,
// naming where they are: otherwise they surface later as a masked database error, or as an
// activity failing on every retry behind a labeling update.
import { Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { findStringProblems, stringProblem } from '../core/traces/trace-schema';
import { badInput } from '../services/errors';

function problemsOf(document: DocumentNode, variables: unknown): string[] {
  const problems = findStringProblems(variables ?? {}).map((issue) => `variables: ${issue.message}`);
  visit(document, {
    [Kind.STRING]: (node) => {
      const problem = stringProblem(node.value);
      if (problem) problems.push(`a string in the query (line ${node.loc?.startToken.line ?? '?'}) ${problem}`);
    },
  });
  return problems;
}

export function inputGuardPlugin(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const problems = problemsOf(args.document, args.variableValues);
      if (problems.length) setResultAndStopExecution({ errors: [badInput(`refused before running: ${problems.slice(0, 5).join('; ')}`)] });
    },
  };
}
