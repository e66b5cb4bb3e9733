# ruff: noqa
import math


def g(x, y, eta, J, Delta, tau, I_ext):
    g_t0 = 2*x
    g_t1 = g_t0 - 2
    g_t2 = y**2
    g_t3 = -g_t2 + (x + 1)**2
    g_t4 = g_t0 + 2
    g_t5 = 1/tau
    g_t6 = J*g_t5/math.pi
    g_t7 = I_ext + eta + g_t6*(-1/3*g_t2 + (1/3)*x**2 - 4/3*x + 1)
    g_t8 = g_t4*g_t7
    g_t9 = (1/2)*g_t5
    g_t10 = Delta*g_t4
    g_t11 = g_t3*g_t6
    g_t12 = 2*y
    g_t13 = g_t10 + g_t12*g_t7 - 2*y
    g_t14 = -2/3*g_t11*y - g_t13
    g_t15 = (2/3)*x - 4/3
    g_t16 = g_t4*g_t6
    g_t17 = -g_t13 - g_t15*g_t16*y
    g_t18 = (1/4)/tau**2
    g_t19 = Delta*g_t12
    return [g_t9*(-Delta*g_t3 + g_t1*y - g_t8*y), g_t9*(-g_t10*y + g_t2 + g_t3*g_t7 - (x - 1)**2), g_t14*g_t17*g_t18 - g_t18*(g_t1 + (2/3)*g_t16*g_t2 + g_t19 - g_t8)*(-g_t0 + g_t11*g_t15 - g_t19 + g_t8 + 2), -g_t14*g_t9 - g_t17*g_t9]


def dg(x, y, eta, J, Delta, tau, I_ext):
    d_t0 = 2*x
    d_t1 = d_t0 + 2
    d_t2 = d_t1*y
    d_t3 = (2/3)*x - 4/3
    d_t4 = 1/tau
    d_t5 = 1/math.pi
    d_t6 = d_t4*d_t5
    d_t7 = J*d_t6
    d_t8 = d_t3*d_t7
    d_t9 = y**2
    d_t10 = -1/3*d_t9 + (1/3)*x**2 - 4/3*x + 1
    d_t11 = d_t10*d_t6
    d_t12 = J*d_t11
    d_t13 = I_ext + d_t12 + eta
    d_t14 = 2*y
    d_t15 = Delta*d_t1 + d_t13*d_t14 - 2*y
    d_t16 = -d_t15 - d_t2*d_t8
    d_t17 = (1/2)*d_t4
    d_t18 = Delta*d_t14
    d_t19 = (2/3)*d_t1
    d_t20 = d_t1*d_t13
    d_t21 = d_t0 + d_t18 + d_t19*d_t7*d_t9 - d_t20 - 2
    d_t22 = tau**(-2)
    d_t23 = (1/2)*d_t22
    d_t24 = d_t10*d_t5
    d_t25 = d_t23*d_t24
    d_t26 = -d_t9 + (x + 1)**2
    d_t27 = d_t26*d_t6
    d_t28 = d_t27*d_t3
    d_t29 = J*d_t28 - d_t0 - d_t18 + d_t20 + 2
    d_t30 = (2/3)*d_t27
    d_t31 = J*d_t30
    d_t32 = -d_t15 - d_t31*y
    d_t33 = d_t14*d_t4
    d_t34 = J*d_t33*d_t5
    d_t35 = 2*Delta
    d_t36 = (2/3)*d_t2*d_t7 + d_t35
    d_t37 = -d_t3*d_t34 - d_t36
    d_t38 = (1/4)*d_t22
    d_t39 = d_t16*d_t38
    d_t40 = -d_t36 - 4*d_t8*y
    d_t41 = d_t32*d_t38
    d_t42 = d_t1*d_t8
    d_t43 = 2*I_ext + 2*d_t12 + 2*eta - 2
    d_t44 = (4/3)*J*d_t4*d_t5*d_t9 - d_t42 - d_t43
    d_t45 = d_t29*d_t38
    d_t46 = d_t31 + d_t43
    d_t47 = d_t21*d_t38
    d_t48 = (8/3)*J*d_t4*d_t5*d_t9 - d_t46
    d_t49 = d_t23*y
    d_t50 = d_t24*d_t33
    d_t51 = -d_t30*y - d_t50
    d_t52 = -d_t2*d_t3*d_t6 - d_t50
    d_t53 = d_t1*d_t11
    return [[d_t16*d_t17, d_t17*d_t21, -d_t17*d_t2, -d_t2*d_t25], [d_t17*d_t29, d_t17*d_t32, d_t17*d_t26, d_t25*d_t26], [d_t37*d_t39 + d_t40*d_t41 - d_t44*d_t45 - d_t47*(2*d_t42 + d_t46), (1/4)*d_t16*d_t22*d_t48 + (1/4)*d_t22*d_t32*d_t44 - d_t37*d_t47 - d_t45*(d_t1*d_t34 + d_t35), d_t1*d_t45 - d_t1*d_t47 - d_t16*d_t49 - d_t32*d_t49, d_t39*d_t51 + d_t41*d_t52 - d_t45*(d_t19*d_t6*d_t9 - d_t53) - d_t47*(d_t28 + d_t53)], [-d_t17*d_t37 - d_t17*d_t40, -d_t17*d_t44 - d_t17*d_t48, d_t33, -d_t17*d_t51 - d_t17*d_t52]]
