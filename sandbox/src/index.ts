export * from './streaming';
export * from './messaging';
export * from './inbox';
export * from './community';
