/** The routes both example apps serve (`GET /` lists them). */
export const ROUTES = [
  'GET  /rides/stats?borough=Brooklyn&hour=8',
  'GET  /rides/top-routes?limit=5&borough=Queens',
  'GET  /rides/hourly?borough=Manhattan',
  'GET  /zones?borough=Bronx',
  'GET  /zones/4/reviews?limit=5',
  'POST /zones/4/reviews   {"rating": 5, "text": "Spotless car"}',
  'GET  /sentiment?text=What a smooth ride',
  'POST /admin/invalidate?tag=rides',
  'GET  /admin/stats',
];
