import type { z } from 'zod';

type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteInput<P, Q, B> {
	params: P;
	query: Q;
	body: B;
	/** The API key that authenticated the request; absent on public routes. */
	caller?: { id: string; name: string };
}

/**
 * One declaration per endpoint: the server registers it, validates with its schemas,
 * and the OpenAPI document is generated from the same schemas.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
	method: Method;
	path: string;
	summary: string;
	tag: string;
	/** Routes are authenticated unless they say otherwise. */
	public?: boolean;
	params?: z.ZodType<P>;
	query?: z.ZodType<Q>;
	body?: z.ZodType<B>;
	status: number;
	response?: z.ZodType;
	handle(input: RouteInput<P, Q, B>): Promise<unknown>;
}

export function route<P = unknown, Q = unknown, B = unknown>(spec: Route<P, Q, B>): Route {
	return spec as unknown as Route;
}
