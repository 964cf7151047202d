// What a judge score is a score of. A case's own labelled output and a release's supplied
// answer to the same case are different subjects, so scoring one never stands in for the
// other, and a changed answer (another content hash) is a new subject judged afresh.

/** The case's own output, the production answer reviewers labelled. */
export const caseSubject = (caseId: string) => `case:${caseId}`;

/** A release's supplied answer to a case, as it read when judged. */
export const suppliedAnswerSubject = (releaseId: string, caseId: string, answerHash: string) => `answer:${releaseId}:${caseId}:${answerHash}`;
