import type { INodeProperties } from 'n8n-workflow';

import * as erase from './erase.operation';
import * as exportData from './export.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as merge from './merge.operation';
import * as recordAction from './recordAction.operation';
import * as upsert from './upsert.operation';

export { erase, exportData as export, get, getMany, merge, recordAction, upsert };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['fan'] } },
		options: [
			{
				name: 'Create or Update',
				value: 'upsert',
				description: 'Create a new record, or update the current one if it already exists (upsert)',
				action: 'Create or update a fan',
			},
			{
				name: 'Erase',
				value: 'erase',
				description: 'Erase a fan (GDPR): delete personal data and keep a suppression entry',
				action: 'Erase a fan',
			},
			{
				name: 'Export',
				value: 'export',
				description: 'Export everything the ledger holds about a fan (GDPR)',
				action: 'Export a fan',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a fan by ID or by a channel identity',
				action: 'Get a fan',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: 'List a segment of fans, page by page',
				action: 'Get many fans',
			},
			{
				name: 'Merge',
				value: 'merge',
				description: 'Merge two fans that turned out to be the same person',
				action: 'Merge two fans',
			},
			{
				name: 'Record Action',
				value: 'recordAction',
				description: 'Record an action a fan took, layered on an earlier one',
				action: 'Record a fan action',
			},
		],
		default: 'upsert',
	},
	...upsert.description,
	...get.description,
	...merge.description,
	...recordAction.description,
	...getMany.description,
	...exportData.description,
	...erase.description,
];
