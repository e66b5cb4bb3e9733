# ruff: noqa
import math


def g(x, y, eta, J, Delta, tau, I_ext):
    g_t0 = 2*x
    g_t1 = y**2
    g_t2 = (x + 1)**2
    g_t3 = -g_t1 + g_t2
    g_t4 = -g_t1 - x**2 + 1
    g_t5 = 1/tau
    g_t6 = 1/math.pi
    g_t7 = g_t1 + g_t2
    g_t8 = J*g_t5*g_t6/g_t7
    g_t9 = I_ext + eta + g_t4*g_t8
    g_t10 = g_t0 + 2
    g_t11 = g_t10*y
    g_t12 = (1/2)*g_t5
    g_t13 = Delta*g_t10
    g_t14 = g_t7**(-2)
    g_t15 = 2*y
    g_t16 = g_t13 + g_t15*g_t9 - 2*y
    return [g_t12*(-Delta*g_t3 - g_t11*g_t9 + y*(g_t0 - 2)), g_t12*(g_t1 - g_t13*y + g_t3*g_t9 - (x - 1)**2), -g_t12*(-g_t16 + g_t3*(-J*g_t14*g_t15*g_t4*g_t5*g_t6 - g_t15*g_t8)) - g_t12*(-g_t11*(-J*g_t10*g_t14*g_t4*g_t5*g_t6 - g_t0*g_t8) - g_t16)]


def dg(x, y, eta, J, Delta, tau, I_ext):
    d_t0 = 2*x
    d_t1 = d_t0 + 2
    d_t2 = 1/tau
    d_t3 = 1/math.pi
    d_t4 = y**2
    d_t5 = (x + 1)**2
    d_t6 = d_t4 + d_t5
    d_t7 = d_t3/d_t6
    d_t8 = d_t2*d_t7
    d_t9 = J*d_t8
    d_t10 = -d_t1
    d_t11 = d_t6**(-2)
    d_t12 = -d_t4 - x**2 + 1
    d_t13 = J*d_t10*d_t11*d_t12*d_t2*d_t3 - d_t0*d_t9
    d_t14 = d_t1*d_t13
    d_t15 = J*d_t12
    d_t16 = d_t15*d_t8
    d_t17 = I_ext + d_t16 + eta
    d_t18 = 2*y
    d_t19 = Delta*d_t1 + d_t17*d_t18 - 2*y
    d_t20 = (1/2)*d_t2
    d_t21 = d_t18*d_t2
    d_t22 = d_t21*d_t7
    d_t23 = d_t11*d_t3
    d_t24 = d_t21*d_t23
    d_t25 = -J*d_t22 - d_t15*d_t24
    d_t26 = -Delta*d_t18 - d_t0 + d_t1*d_t17 + 2
    d_t27 = d_t1*y
    d_t28 = (1/2)*d_t12*d_t7/tau**2
    d_t29 = -d_t4 + d_t5
    d_t30 = 2*Delta
    d_t31 = 4*y
    d_t32 = 2*d_t9
    d_t33 = 4*x
    d_t34 = d_t2*d_t23
    d_t35 = 2*d_t15*d_t34
    d_t36 = -d_t33 - 4
    d_t37 = d_t6**(-3)
    d_t38 = J*d_t10*d_t24 - 4*J*d_t11*d_t2*d_t3*x*y
    d_t39 = 8*d_t4
    d_t40 = d_t15*d_t2*d_t3*d_t37
    d_t41 = 2*I_ext + 2*d_t16 + 2*eta - 2
    d_t42 = d_t12*d_t22
    return [[d_t20*(-d_t14*y - d_t19), d_t20*(-d_t1*d_t25*y - d_t26), -d_t20*d_t27, -d_t27*d_t28], [d_t20*(d_t13*d_t29 + d_t26), d_t20*(-d_t19 + d_t25*d_t29), d_t20*d_t29, d_t28*d_t29], [-d_t20*(-d_t13*d_t31 - d_t27*(J*d_t10*d_t12*d_t2*d_t3*d_t36*d_t37 - J*d_t10*d_t33*d_t34 - d_t32 - d_t35) - d_t30) - d_t20*(d_t1*d_t25 - d_t13*d_t18 + d_t29*(-d_t15*d_t21*d_t3*d_t36*d_t37 - d_t38) - d_t30), -d_t20*(-d_t25*d_t31 + d_t29*(J*d_t34*d_t39 - d_t32 - d_t35 + d_t39*d_t40) - d_t41) - d_t20*(-d_t14 - d_t18*d_t25 - d_t27*(-d_t10*d_t31*d_t40 - d_t38) - d_t41), d_t21, -d_t20*(-d_t27*(-d_t0*d_t8 + d_t10*d_t11*d_t12*d_t2*d_t3) - d_t42) - d_t20*(d_t29*(-d_t12*d_t24 - d_t22) - d_t42)]]
