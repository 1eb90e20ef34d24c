import { createRouter } from '../../shared/router';
import * as connection from './connection';
import * as conversion from './conversion';
import * as library from './library';
import type { FanloopStreamingType } from './node.type';

export const router = createRouter<FanloopStreamingType>(
	{
		library: {
			saveRelease: library.saveRelease.execute,
			follow: library.follow.execute,
			checkSaved: library.checkSaved.execute,
		},
		conversion: {
			start: conversion.start.execute,
			getJob: conversion.getJob.execute,
		},
		connection: {
			findExpiring: connection.findExpiring.execute,
		},
	},
	'library',
);
