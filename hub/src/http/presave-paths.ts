/** The paths of a campaign's fan pages: the one place they are spelled. Slugs are [a-z0-9-], safe in a path. */
export const presavePaths = {
	page: (slug: string) => `/c/${slug}`,
	connect: (slug: string, platform: string) => `/c/${slug}/connect/${platform}`,
	layers: (slug: string) => `/c/${slug}/layers`,
	callback: (platform: string) => `/oauth/${platform}/callback`,
};

export function pageUrlOf(publicUrl: string, slug: string): string {
	return `${publicUrl}${presavePaths.page(slug)}`;
}
