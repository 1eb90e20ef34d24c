export * from './streaming';
export * from './messaging';
