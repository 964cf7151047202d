/** Off only when the Temporal cluster has not registered the flywheel's search attributes. */
export const searchAttributesEnabled = () => process.env.FLYWHEEL_SEARCH_ATTRIBUTES !== 'off';
